"""A real HTTP server for the runtime API in tests (werkzeug on 127.0.0.1), and tokens as an LMS signs them."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import jwt
from flask import Flask
from werkzeug.serving import make_server

SECRET = "test-secret-for-the-runtime-api-0123456789"
ISSUER = "frames-dev"
AUDIENCE = "frames-runtime"


def make_token(
    student_id: str = "alice",
    *,
    staff: bool = False,
    secret: str = SECRET,
    expires_in: int = 600,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A token like the LMS's: sub, aud, iss, exp (and roles for staff); `claims` add or override."""
    now = int(time.time())
    body: dict[str, Any] = {"sub": student_id, "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + expires_in}
    if staff:
        body["roles"] = ["staff"]
    body.update(claims)
    return jwt.encode(body, secret, algorithm=algorithm, headers=headers)


class LiveServer:
    """The app served by werkzeug's threaded server on a free 127.0.0.1 port, in a background thread."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        """`port` 0 takes a free port; a restarted server passes its predecessor's (same origin for a browser)."""
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def client(self, student_id: str | None = "alice", *, staff: bool = False, **claims: Any) -> httpx.Client:
        """An HTTP client whose requests carry a token for `student_id` (None: no token)."""
        headers = (
            {} if student_id is None else {"Authorization": f"Bearer {make_token(student_id, staff=staff, **claims)}"}
        )
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.app.extensions["frames_runtime"].engine.dispose()
