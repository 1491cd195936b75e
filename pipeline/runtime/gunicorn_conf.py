"""gunicorn settings for the runtime API, as production runs it (docs/runtime-api.md#production-gunicorn-and-neon):

    gunicorn -c python:pipeline.runtime.gunicorn_conf --bind 0.0.0.0:8000 'pipeline.runtime:wsgi_app()'

The configuration is checked once, in the master, before any worker is forked: a missing key stops gunicorn with
exit status 2 and one message, instead of each worker failing and being restarted in a loop.
"""

from __future__ import annotations

import sys
from typing import Any

# Processes use the cores (two per core); two threads each overlap the waits on PostgreSQL (benchmarks/runtime.py).
worker_class = "gthread"
workers = 4
threads = 2
timeout = 30
graceful_timeout = 30
keepalive = 5
# A worker is replaced now and then, which bounds any leak.
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = "-"
# No control socket: gunicorn 25.1+ opens one at ~/.gunicorn/gunicorn.ctl by default, shared by every gunicorn of
# that user on the host; nothing here needs runtime management.
control_socket_disable = True
# gunicorn answers a request line or header past these with its own HTML 414/431/400; the reverse proxy in front
# answers them first, in JSON (docs/runtime-api.md#behind-a-reverse-proxy).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def on_starting(server: Any) -> None:
    """gunicorn's master hook, before the workers: exit 2 with the message when the configuration is wrong."""
    from pipeline.errors import ConfigError
    from pipeline.runtime.app import check_production_settings
    from pipeline.settings import Settings, redact

    settings = None
    try:
        settings = Settings.from_env()
        check_production_settings(settings)
    except ConfigError as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr, flush=True)
        sys.exit(2)
