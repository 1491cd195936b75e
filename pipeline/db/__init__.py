"""The runtime database: connection and migrations (`engine`), tables (`models`), the writeback outbox (`outbox`).

Migrations are plain Alembic files in `migrations/versions/`.
"""

from pipeline.db.engine import connect, engine_for, upgrade
from pipeline.db.outbox import WritebackTask, pending_writebacks

__all__ = ["WritebackTask", "connect", "engine_for", "pending_writebacks", "upgrade"]
