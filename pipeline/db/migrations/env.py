"""Alembic environment: runs on the connection pipeline.db.engine.upgrade hands over (or connects itself)."""

from __future__ import annotations

from alembic import context

from pipeline.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from pipeline.db.engine import connect
        from pipeline.settings import Settings

        engine = config.attributes.get("engine") or connect(Settings.from_env())
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url="postgresql://", target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
