"""Who is asking: the LMS's bearer JWT (HS256 shared secret or RS256 from a JWKS URL), checked for exp, aud, iss.

The student is always the token's `sub`, never a URL or a body. `roles` containing "staff" (or `role: staff`)
lets a teacher read other students and manage assignments. `university` and `cohort` claims narrow the catalogue.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jwt

from pipeline.errors import ConfigError
from pipeline.module.document import unstorable_text
from pipeline.runtime.errors import ApiError
from pipeline.settings import Settings

Algorithm = Literal["HS256", "RS256"]
DEVELOPMENT_ISSUER = "frames-dev"
DEVELOPMENT_SECRET_FILE = "runtime-dev-secret"
MIN_SECRET_LENGTH = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash (256 bits)
LEEWAY_SECONDS = 30  # clock difference tolerated between the LMS and us on exp / nbf / iat
MAX_TOKEN_LENGTH = 8192
VERIFIED_TOKENS = 10_000  # per worker
# A stalled key server must not hold a request for gunicorn's whole worker timeout (30 s): keys already fetched are
# served from the cache without asking it, and a fetch (a new worker, an unknown kid) gives up after this long.
JWKS_TIMEOUT_SECONDS = 5
NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")  # RFC 7519 §2: NumericDate is a JSON number, never a string
NOT_A_JWT = "the token is not a JWT (three base64url parts joined by dots); send the token the LMS issued"
_CHALLENGE = 'Bearer realm="frames-runtime"'


@dataclass(frozen=True)
class Principal:
    """The caller, as the token says."""

    student_id: str
    staff: bool = False
    university: str | None = None
    cohort: str | None = None


@dataclass(frozen=True)
class AuthConfig:
    """How tokens are checked. `secret` is never shown (repr=False)."""

    algorithm: Algorithm
    audience: str
    issuer: str
    secret: str | None = None
    jwks_url: str | None = None
    development: bool = False  # the per-data-folder secret of `serve` on 127.0.0.1

    def __repr__(self) -> str:
        key = f"jwks_url={self.jwks_url!r}" if self.jwks_url else "secret=***"
        return f"AuthConfig({self.algorithm}, audience={self.audience!r}, issuer={self.issuer!r}, {key})"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1 and localhost: the only addresses a development key may listen on."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_production(settings: Settings, host: str | None) -> bool:
    """Production when RUNTIME_ENV=production, or when listening beyond this machine (or under gunicorn: None)."""
    if settings.runtime_env not in ("development", "production"):
        raise ConfigError(f"RUNTIME_ENV={settings.runtime_env!r} is not known; write development or production")
    return settings.runtime_env == "production" or host is None or not is_loopback(host)


def auth_config(settings: Settings, host: str | None) -> AuthConfig:
    """The token rules for a server bound to `host` (None: gunicorn, which binds where it is told: production)."""
    production = is_production(settings, host)
    secret, jwks_url = settings.runtime_jwt_secret, settings.runtime_jwks_url
    where = "RUNTIME_ENV=production" if settings.runtime_env == "production" else f"listening on {host or 'gunicorn'}"
    if secret and jwks_url:
        raise ConfigError("both RUNTIME_JWT_SECRET and RUNTIME_JWKS_URL are set; set the one your LMS signs with")
    if production:
        if not secret and not jwks_url:
            raise ConfigError(
                f"the runtime API refuses to start without a real key ({where}): set RUNTIME_JWKS_URL to the "
                "LMS's JSON Web Key Set (RS256) or RUNTIME_JWT_SECRET to the secret it signs with (HS256)"
            )
        if secret and len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"RUNTIME_JWT_SECRET is shorter than {MIN_SECRET_LENGTH} characters ({where}); "
                "use a random secret of at least 32 characters, shared with the LMS"
            )
        if jwks_url and not jwks_url.startswith("https://"):
            raise ConfigError(f"RUNTIME_JWKS_URL must be an https:// URL in production ({where})")
        if not settings.runtime_jwt_issuer:
            raise ConfigError(f"RUNTIME_JWT_ISSUER is not set ({where}); set it to the `iss` your LMS puts in tokens")
    issuer = settings.runtime_jwt_issuer or DEVELOPMENT_ISSUER
    audience = settings.runtime_jwt_audience
    if jwks_url:
        return AuthConfig("RS256", audience, issuer, jwks_url=jwks_url)
    if secret:
        return AuthConfig("HS256", audience, issuer, secret=secret)
    return AuthConfig("HS256", audience, issuer, secret=development_secret(settings), development=True)


def development_secret(settings: Settings) -> str:
    """The development HS256 secret of this data folder (beside the embedded PostgreSQL), made on first use."""
    path = Path(settings.pgdata_dir).parent / DEVELOPMENT_SECRET_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(
            f"cannot read the development secret {path}: {exc.strerror}; delete it to make a new one"
        ) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"cannot write the development secret {path}: {exc.strerror}; set PIPELINE_PGDATA to a folder you "
            "can write to, or RUNTIME_JWT_SECRET"
        ) from None
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(value + "\n")
    return value


class TokenVerifier:
    """Checks bearer tokens against one AuthConfig; raises ApiError 401 with a JSON body on any doubt.

    A token whose signature and claims were verified is remembered (by its exact text) until it expires: the
    same bytes verify the same way, and a front end sends one token many times. Expiry is checked on every use.
    """

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._jwks = (
            jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=300, timeout=JWKS_TIMEOUT_SECONDS)
            if config.jwks_url
            else None
        )
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def principal(self, authorization: str | None) -> Principal:
        """The caller named by an `Authorization: Bearer …` header."""
        if not authorization:
            raise _missing("no bearer token: send Authorization: Bearer <JWT from the LMS>")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _missing("the Authorization header is not 'Bearer <token>'")
        if len(token) > MAX_TOKEN_LENGTH:
            raise _unauthorized("invalid_token", f"the token is longer than {MAX_TOKEN_LENGTH} characters")
        known = self._verified.get(token)
        if known is not None and time.time() < known[1]:
            return known[0]
        claims = self._decode(token)
        principal = _principal(claims)
        with self._lock:
            self._verified[token] = (principal, float(claims["exp"]))
            while len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return principal

    def _decode(self, token: str) -> dict[str, Any]:
        config = self.config
        if not _looks_like_jwt(token):
            raise _unauthorized("invalid_token", NOT_A_JWT)
        try:
            key: Any = config.secret
            if self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[config.algorithm],  # never "none", never the other family (no HS/RS confusion)
                audience=config.audience,
                issuer=config.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("token_expired", "the token has expired; ask the LMS for a new one") from None
        except jwt.InvalidAudienceError:
            raise _unauthorized(
                "invalid_token", f"the token is not for this API (aud must be {config.audience!r})"
            ) from None
        except jwt.InvalidIssuerError:
            raise _unauthorized("invalid_token", f"the token was not issued by {config.issuer!r}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _unauthorized("invalid_token", f"the token has no {exc.claim!r} claim") from None
        except jwt.PyJWKClientConnectionError:
            raise ApiError(
                503,
                "key_server_unavailable",
                f"the LMS's key set did not answer within {JWKS_TIMEOUT_SECONDS} s; retry in a moment",
                {"Retry-After": "5"},
            ) from None
        except jwt.PyJWKClientError as exc:
            raise _unauthorized("invalid_token", f"no key of the LMS's key set verifies the token ({exc})") from None
        except jwt.InvalidTokenError as exc:
            # Forged signatures, alg "none" or an algorithm we do not take, malformed claims.
            raise _unauthorized("invalid_token", f"the token is not valid: {exc}") from None
        for name in NUMERIC_DATE_CLAIMS:
            value = claims.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise _unauthorized(
                    "invalid_token", f"the token's {name!r} must be a number of seconds since 1970, not {value!r:.40}"
                )
        return claims


def _looks_like_jwt(token: str) -> bool:
    """True when `token` is three base64url parts whose first two are JSON objects (the signature checks the rest)."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    for part in parts[:2]:
        try:
            value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except (ValueError, binascii.Error):  # also UnicodeDecodeError
            return False
        if not isinstance(value, dict):
            return False
    return True


def _principal(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > 200:
        raise _unauthorized("invalid_token", "the token's 'sub' must name the student (1 to 200 characters)")
    unstorable = unstorable_text([sub, claims.get("university"), claims.get("cohort")])
    if unstorable:  # the claims become query parameters: NUL or a lone surrogate would fail in the database
        raise _unauthorized("invalid_token", f"the token's sub, university or cohort claim: {unstorable[1]}")
    roles = claims.get("roles")
    role_list = roles if isinstance(roles, list) else []
    staff = "staff" in role_list or claims.get("role") == "staff"
    university, cohort = claims.get("university"), claims.get("cohort")
    return Principal(
        sub,
        staff,
        university if isinstance(university, str) and university else None,
        cohort if isinstance(cohort, str) and cohort else None,
    )


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, {"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'})


def _missing(message: str) -> ApiError:
    """No credentials: RFC 6750 §3.1, the challenge carries no error code (the body still says missing_token)."""
    return ApiError(401, "missing_token", message, {"WWW-Authenticate": _CHALLENGE})


@dataclass(frozen=True)
class IssuedToken:
    """A token for trying the API by hand (`python -m pipeline token`)."""

    token: str
    student_id: str
    staff: bool
    expires_in_minutes: int
    issuer: str
    ok: bool = True

    def lines(self) -> list[str]:
        role = "staff" if self.staff else "student"
        return [
            f"token for {role} {self.student_id!r}, valid {self.expires_in_minutes} minutes (iss {self.issuer!r}):",
            self.token,
        ]


def issue_token(
    settings: Settings,
    student_id: str,
    *,
    staff: bool = False,
    minutes: int = 60,
    university: str | None = None,
    cohort: str | None = None,
) -> IssuedToken:
    """Sign a token the way `serve` checks it (HS256 only: an RS256 LMS keeps its private key to itself)."""
    config = auth_config(settings, "127.0.0.1")
    if config.secret is None:
        raise ConfigError(
            "RUNTIME_JWKS_URL is set: tokens are signed by the LMS's private key, which this command does not "
            "have; unset it to try the API with the development secret"
        )
    if not student_id.strip() or len(student_id) > 200:
        raise ConfigError("STUDENT_ID must be 1 to 200 characters")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": student_id,
        "aud": config.audience,
        "iss": config.issuer,
        "iat": now,
        "exp": now + minutes * 60,
        "roles": ["staff"] if staff else ["student"],
    }
    if university:
        claims["university"] = university
    if cohort:
        claims["cohort"] = cohort
    token = jwt.encode(claims, config.secret, algorithm="HS256")
    return IssuedToken(token, student_id, staff, minutes, config.issuer)
