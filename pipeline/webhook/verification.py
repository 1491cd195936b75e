"""What a webhook request must be before anything acts on it: a bounded body, bounded nesting, Notion's signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

MAX_BODY_BYTES = 256 * 1024
# Notion's events nest about four levels deep; the bound keeps any body (signed or not) off json's recursion limit.
MAX_NESTING = 32
# The verification request is `{"verification_token": "secret_…"}` (under 100 bytes): a body not signed with the
# secret is parsed only when it is this small, since it can be nothing else.
MAX_VERIFICATION_BYTES = 1024
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_PAIRS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


class Refused(Exception):
    """A request the receiver will not act on: answered with `status` and a JSON error."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def too_large() -> Refused:
    return Refused(
        413,
        "request_entity_too_large",
        f"the body is over {MAX_BODY_BYTES // 1024} KB (Notion's events are a few KB); it was not read",
    )


@contextmanager
def body_deadline(seconds: float) -> Iterator[None]:
    """Refused(408) when the body is not read within `seconds` (under gunicorn's gevent worker).

    A greenlet that waits on a socket yields to the others, so a gevent.Timeout can end the wait. On werkzeug's
    development server (threads, no gevent) there is no such deadline."""
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is None or not gevent_monkey.is_module_patched("socket"):
        yield
        return
    import gevent  # type: ignore[import-untyped]

    deadline = gevent.Timeout(seconds)
    deadline.start()
    try:
        yield
    except gevent.Timeout as exc:
        if exc is not deadline:
            raise
        raise Refused(
            408, "request_timeout", f"the body did not arrive within {seconds:g} s; the connection is closed"
        ) from None
    finally:
        deadline.close()


def read_body(stream: BinaryIO, content_length: str | None, terminated: bool, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw request body; Refused(413) past `limit`, whether it has a Content-Length or arrives chunked.

    `terminated`: the server ends the stream where the body ends (WSGI's wsgi.input_terminated: chunked bodies)."""
    length = (content_length or "").strip()
    if length:
        if not length.isascii() or not length.isdigit():
            raise Refused(400, "malformed_request", f"Content-Length {length!r} is not a number")
        if int(length) > limit:
            raise too_large()
        return bytes(stream.read(int(length)))
    if not terminated:  # no length, and the server cannot tell where the body ends
        return b""
    body = bytearray()
    while len(body) <= limit:  # chunked: read until the end, or one byte past the limit
        chunk = stream.read(min(64 * 1024, limit + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
    raise too_large()


def nesting_within(body: bytes, limit: int = MAX_NESTING) -> bool:
    """True when the JSON text `body` nests arrays and objects at most `limit` deep (and its brackets pair up).

    No parsing, all in C: strings are cut out and the brackets kept; each round removes the innermost pairs, which
    lowers the depth by exactly one. A run of more opening brackets than the rounds left proves it too deep."""
    brackets = _STRING.sub(b"", body).translate(_PAIRS, _NOT_BRACKETS)
    for rounds_left in range(limit, 0, -1):
        if not brackets:
            return True
        if b"(" * (rounds_left + 1) in brackets:
            return False
        inner_removed = brackets.replace(b"()", b"")
        if inner_removed == brackets:
            return False  # unpaired brackets: not JSON anyway
        brackets = inner_removed
    return not brackets


def check_nesting(body: bytes) -> None:
    """Refused(400) for a body nested deeper than MAX_NESTING (json.loads would recurse once per level)."""
    if not nesting_within(body):
        raise _too_deep()


def refuse_deep_unsigned(body: bytes) -> None:
    """Refused(400) when an unsigned body opens more than MAX_NESTING brackets in a row.

    Such a body is never parsed (it is refused 401 otherwise): this costs one C pass and, unlike the exact check,
    does not skip strings, since a wrong 400 instead of 401 for a request that is not Notion's harms no one."""
    if b"(" * (MAX_NESTING + 1) in body.translate(_PAIRS, _NOT_BRACKETS):
        raise _too_deep()


def _too_deep() -> Refused:
    return Refused(
        400,
        "malformed_json",
        f"the body nests arrays or objects more than {MAX_NESTING} levels deep (or its brackets do not pair up)",
    )


def decode(body: bytes) -> Any:
    """The JSON value of `body` (nesting already checked); Refused(400) when it is not JSON."""
    check_nesting(body)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):  # ValueError: also numbers past Python's 4,300-digit limit
        raise Refused(400, "malformed_json", "the body is not valid JSON") from None


def signature_for(secret: str, body: bytes) -> str:
    """The `X-Notion-Signature` value Notion sends for `body`: sha256=HMAC-SHA256(secret, raw body)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """Raise Refused(401) unless `header` is the signature of the raw `body` under `secret`."""
    if not header:
        raise Refused(401, "missing_signature", "X-Notion-Signature header is missing")
    match = _SIGNATURE.fullmatch(header.strip())
    if not match:
        raise Refused(401, "malformed_signature", "X-Notion-Signature must be sha256=<64 hex digits>")
    if not hmac.compare_digest(signature_for(secret, body), f"sha256={match[1]}"):
        raise Refused(401, "bad_signature", "X-Notion-Signature does not match the body")


def is_signed_by(secret: str | None, body: bytes, header: str | None) -> bool:
    """True when `header` is a valid signature of `body` under `secret` (False when either is missing)."""
    if not secret or not header:
        return False
    try:
        verify_signature(secret, body, header)
    except Refused:
        return False
    return True


def verification_token(body: bytes, signature: str | None) -> str | None:
    """The token of Notion's verification request in `body`, or None when `body` is not one.

    The request is accepted unsigned (Notion's first guides) or signed with the token it carries (Notion's current
    guide): it is how the receiver learns the secret, so no secret can be asked of it. Only a small body is parsed
    (MAX_VERIFICATION_BYTES). Refused(400) when it nests too deep or its `verification_token` is not a non-empty
    string, Refused(401) when it is signed with another key."""
    if len(body) > MAX_VERIFICATION_BYTES:
        return None
    check_nesting(body)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    token = token_in(payload)
    if token is not None and signature is not None:
        verify_signature(token, body, signature)
    return token


def token_in(payload: Any) -> str | None:
    """The `verification_token` when `payload` is a verification request, else None; Refused(400) if not a string."""
    if not isinstance(payload, dict) or set(payload) != {"verification_token"}:
        return None
    token = payload["verification_token"]
    if not isinstance(token, str) or not token:
        raise Refused(400, "malformed_event", "verification_token must be a non-empty string")
    return token
