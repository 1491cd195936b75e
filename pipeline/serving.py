"""Running one of the pipeline's web apps (webhook receiver, runtime API) on werkzeug, as `... serve` does.

Production runs them under gunicorn (docs/webhook.md, docs/runtime-api.md); this is the one place that checks the
address and port first, so both commands refuse a taken or impossible port the same way (exit 2, naming the
option), instead of werkzeug printing a reason and exiting 1.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from flask import Flask


def check_can_listen(host: str, port: int) -> None:
    """ConfigError naming --host/--port when they cannot be listened on."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        socket.create_server(address[:2], family=family).close()
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another --port, or a --host address of this machine"
        ) from None


def run_development_server(app: Flask, host: str, port: int) -> None:
    """Serve `app` on werkzeug's threaded server until interrupted, once the address is known to be free."""
    from werkzeug.serving import run_simple

    check_can_listen(host, port)
    run_simple(host, port, app, threaded=True)
