"""Auth: the LMS's bearer JWT (HS256 or RS256 from a JWKS URL); bad tokens get 401 with a JSON body."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.runtime.live import AUDIENCE, ISSUER, SECRET, LiveServer, make_token


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


BAD_TOKENS = {
    "expired": (make_token(expires_in=-120), "token_expired"),
    "forged": (make_token(secret="another-secret-of-at-least-32-characters!"), "invalid_token"),
    "alg none": (_unsigned({"sub": "alice", "aud": AUDIENCE, "iss": ISSUER, "exp": 4102444800}), "invalid_token"),
    "wrong audience": (make_token(aud="another-api"), "invalid_token"),
    "wrong issuer": (make_token(iss="someone-else"), "invalid_token"),
    "no exp": (make_token(exp=None), "invalid_token"),
    "garbage": ("not.a.token", "invalid_token"),
}


def test_bad_tokens_are_refused_with_401_and_a_json_body(api: LiveServer) -> None:
    for case, (token, code) in BAD_TOKENS.items():
        answer = httpx.get(f"{api.base_url}/api/v1/modules", headers={"Authorization": f"Bearer {token}"})

        assert answer.status_code == 401, case
        assert answer.json()["error"] == code, case
        assert answer.json()["message"], case
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), case


def test_a_missing_token_is_refused(api: LiveServer) -> None:
    with api.client(None) as client:
        missing = client.get("/api/v1/modules")
        basic = client.get("/api/v1/modules", headers={"Authorization": "Basic YWxpY2U6eA=="})

    assert missing.status_code == 401 and missing.json()["error"] == "missing_token"
    assert basic.status_code == 401


def test_the_student_is_the_tokens_sub(api: LiveServer) -> None:
    with api.client("alice") as client:
        answer = client.get("/api/v1/me/modules/lab-safety-101/progress")
    assert answer.json()["student_id"] == "alice"


@pytest.fixture
def jwks() -> Iterator[tuple[rsa.RSAPrivateKey, str]]:
    """An LMS's key pair, its public half served as a JWKS on 127.0.0.1."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "lms-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield key, f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def test_rs256_tokens_are_checked_against_the_jwks(deployed: Settings, jwks: tuple[rsa.RSAPrivateKey, str]) -> None:
    key, url = jwks
    settings = replace(deployed, runtime_jwt_secret=None, runtime_jwks_url=url)
    server = LiveServer(create_app(settings, host="127.0.0.1"))
    try:
        claims = {"sub": "alice", "aud": AUDIENCE, "iss": ISSUER, "exp": 4102444800}
        good = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "lms-1"})
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "lms-1"})
        # The classic confusion attack: HS256 signed with the public key's text.
        confused = make_token(secret=SECRET, headers={"kid": "lms-1"})
        answers = {
            name: httpx.get(f"{server.base_url}/api/v1/modules", headers={"Authorization": f"Bearer {token}"})
            for name, token in (("good", good), ("forged", forged), ("hs256", confused))
        }
    finally:
        server.close()

    assert answers["good"].status_code == 200
    assert answers["forged"].status_code == 401
    assert answers["hs256"].status_code == 401


def test_production_refuses_to_start_without_a_real_key(tmp_path: Path) -> None:
    bare = Settings(pgdata_dir=tmp_path / "pgdata", database_url="postgresql://u@127.0.0.1:1/db")
    with pytest.raises(ConfigError, match="refuses to start without a real key"):
        create_app(bare.with_overrides(runtime_env="production"), host="127.0.0.1")
    with pytest.raises(ConfigError, match=r"listening on 0\.0\.0\.0"):
        create_app(bare, host="0.0.0.0")
    with pytest.raises(ConfigError, match="gunicorn"):
        create_app(bare, host=None)
    with pytest.raises(ConfigError, match="shorter than 32"):
        create_app(bare.with_overrides(runtime_env="production", runtime_jwt_secret="short"), host="127.0.0.1")
    with pytest.raises(ConfigError, match="RUNTIME_JWT_ISSUER"):
        create_app(bare.with_overrides(runtime_env="production", runtime_jwt_secret=SECRET), host="127.0.0.1")
    with pytest.raises(ConfigError, match="RUNTIME_ENV"):
        create_app(bare.with_overrides(runtime_env="staging"), host="127.0.0.1")


def test_the_token_command_prints_a_token_the_development_server_takes(
    deployed: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RUNTIME_JWT_SECRET", raising=False)
    monkeypatch.setenv("PIPELINE_PGDATA", str(tmp_path / "data" / "pgdata"))
    assert main(["token", "alice"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["token", "teacher", "--staff"]) == 0
    staff_token = capsys.readouterr().out.strip().splitlines()[-1]
    secret_file = tmp_path / "data" / "runtime-dev-secret"
    assert secret_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    settings = replace(deployed, runtime_jwt_secret=None, pgdata_dir=tmp_path / "data" / "pgdata")
    server = LiveServer(create_app(settings, host="127.0.0.1"))
    try:
        mine = httpx.get(f"{server.base_url}/api/v1/modules", headers={"Authorization": f"Bearer {token}"})
        staff = httpx.get(
            f"{server.base_url}/api/v1/modules/lab-safety-101/stats", headers={"Authorization": f"Bearer {staff_token}"}
        )
    finally:
        server.close()

    assert mine.status_code == 200
    assert staff.status_code == 200
    assert secret_file.read_text().strip() not in token
