"""Tokens as an attacker shapes them, a key server that stalls, and what a failed statement leaves in the log."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pipeline.db.engine import engine_for
from pipeline.runtime import create_app
from pipeline.runtime.auth import JWKS_TIMEOUT_SECONDS, NOT_A_JWT
from pipeline.settings import Settings
from tests.runtime.live import AUDIENCE, ISSUER, LiveServer, make_token
from tests.runtime.test_events import event
from tests.sql import execute


def _get(api: LiveServer, authorization: str | None) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.get(f"{api.base_url}/api/v1/modules", headers=headers, timeout=30)


def test_no_credentials_get_a_challenge_without_an_error_code(api: LiveServer) -> None:
    missing = _get(api, None)
    invalid = _get(api, f"Bearer {make_token(secret='another-secret-of-at-least-32-characters!')}")

    # RFC 6750 §3.1: a request without credentials gets the challenge alone
    assert missing.status_code == 401 and missing.json()["error"] == "missing_token"
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="frames-runtime"'
    assert invalid.headers["WWW-Authenticate"] == 'Bearer realm="frames-runtime", error="invalid_token"'


def test_a_garbage_token_is_told_it_is_not_a_jwt_without_a_codec_error(api: LiveServer) -> None:
    for garbage in ("not.a.token", "eyJhbGciOiJIUzI1NiJ9.%%%.x", "a.b", "_-_-.x.y", "e30.W10.x"):
        answer = _get(api, f"Bearer {garbage}")

        assert answer.status_code == 401, garbage
        assert answer.json() == {"error": "invalid_token", "message": NOT_A_JWT}, garbage


def test_numeric_date_claims_given_as_strings_are_refused(api: LiveServer) -> None:
    for claim in ("exp", "nbf", "iat"):
        value = "9999999999" if claim == "exp" else str(int(time.time()) - 60)
        answer = _get(api, f"Bearer {make_token(**{claim: value})}")

        assert answer.status_code == 401, claim
        assert f"'{claim}' must be a number" in answer.json()["message"], claim
    assert _get(api, f"Bearer {make_token(exp=int(time.time()) + 600)}").status_code == 200


@dataclass
class KeyServer:
    key: rsa.RSAPrivateKey
    url: str
    stalled: threading.Event

    def token(self, kid: str = "lms-1") -> str:
        claims = {"sub": "alice", "aud": AUDIENCE, "iss": ISSUER, "exp": int(time.time()) + 600}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid})


STALL_SECONDS = 12  # longer than our fetch timeout, shorter than PyJWKClient's default of 30 s


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    """An LMS's JWKS on 127.0.0.1 that can stall: each request then waits STALL_SECONDS before it answers."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "lms-1", "use": "sig", "alg": "RS256"}]}).encode()
    stalled = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if stalled.is_set():
                time.sleep(STALL_SECONDS)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield KeyServer(key, f"http://127.0.0.1:{server.server_port}/jwks.json", stalled)
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_a_stalled_key_server_costs_at_most_the_fetch_timeout_and_known_keys_still_verify(
    deployed: Settings, key_server: KeyServer
) -> None:
    settings = replace(deployed, runtime_jwt_secret=None, runtime_jwks_url=key_server.url)
    cold = LiveServer(create_app(settings, host="127.0.0.1"))
    warm = LiveServer(create_app(settings, host="127.0.0.1"))
    try:
        assert _get(warm, f"Bearer {key_server.token()}").status_code == 200  # its keys fetched
        key_server.stalled.set()
        started = time.monotonic()
        unreachable = _get(cold, f"Bearer {key_server.token()}")  # a new worker: it must fetch
        waited = time.monotonic() - started
        started = time.monotonic()
        known = _get(warm, f"Bearer {key_server.token()}")
        known_took = time.monotonic() - started
    finally:
        cold.close()
        warm.close()

    assert waited < JWKS_TIMEOUT_SECONDS + 2, f"a request waited {waited:.1f} s for the key server"
    assert (unreachable.status_code, unreachable.json()["error"]) == (503, "key_server_unavailable")
    assert unreachable.headers["Retry-After"]
    assert known.status_code == 200 and known_took < 1.0


def test_a_failed_statement_logs_its_name_but_no_student_id_or_payload(
    api: LiveServer, deployed: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    engine = engine_for(deployed.database_url or "")
    execute(engine, "ALTER TABLE module_analytics_events RENAME COLUMN payload TO payload_gone")
    try:
        with caplog.at_level(logging.INFO), api.client("student-7f3a9c") as client:
            answer = client.post("/api/v1/events", json={"events": [event(context={"secret": "marker-91b2"})]})
    finally:
        execute(engine, "ALTER TABLE module_analytics_events RENAME COLUMN payload_gone TO payload")
        engine.dispose()

    assert answer.status_code == 500 and answer.json()["error"] == "internal_error"
    assert "database statement failed: WITH incoming AS" in caplog.text
    assert "student-7f3a9c" not in caplog.text and "marker-91b2" not in caplog.text
