"""What PostgreSQL can store, checked before any query: a value that passes here never fails in the database.

Pure functions over request values. Each raises ValueError with a message that names the field and says what to
send; the callers turn it into their own refusal (a 400/422 for a request, `rejected` for one event of a batch).
PostgreSQL's `integer` is 32 bits, `bigint` 64; `timestamptz` outlives Python's years 1 to 9999, so a date-time
Python can hold in UTC is storable; JSON (`jsonb`) has no NaN or Infinity; text holds no NUL (module.document).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipeline.module.document import unstorable_text

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
# A request body nested deeper than this is refused by the parser; the deepest documented body (an event's
# context, 4 levels, inside an event inside the batch) needs 7.
MAX_BODY_DEPTH = 32
MAX_DIGITS = 18  # a query parameter's whole number: at most this many ASCII digits (always inside bigint)
_ASCII_DIGITS = re.compile(r"[0-9]+")
_DURATION = re.compile(
    r"P(?!$)(?:(?P<days>[0-9]+)D)?(?:T(?=[0-9])(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?"
    r"(?:(?P<seconds>[0-9]+(?:\.[0-9]+)?)S)?)?"
)
_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


class BodyRefused(ValueError):
    """A request body that is not JSON, or nests too deep: refused whole, by the parser."""


@dataclass(frozen=True)
class NonFinite:
    """Where the body held NaN, Infinity or a number past a double (1e999): kept as a marker, never stored, so that
    the one event (or field) holding it is refused and its neighbours are not."""

    literal: str

    def __repr__(self) -> str:
        return self.literal[:40]


def _finite(literal: str) -> float | NonFinite:
    value = float(literal)
    return NonFinite(literal) if value in (float("inf"), float("-inf")) else value


def parse_body(raw: bytes) -> Any:
    """The JSON value of a request body, NaN and Infinity as NonFinite markers; BodyRefused when it is not JSON or
    nests more than MAX_BODY_DEPTH deep (json would recurse once per level)."""
    try:
        value = json.loads(raw, parse_constant=NonFinite, parse_float=_finite)
    except RecursionError:
        raise BodyRefused(f"the body nests arrays or objects more than {MAX_BODY_DEPTH} levels deep") from None
    except ValueError:  # also UnicodeDecodeError, and integers past Python's 4,300-digit limit
        raise BodyRefused("the request body is not JSON; send Content-Type: application/json") from None
    if depth_over(value, MAX_BODY_DEPTH):
        raise BodyRefused(f"the body nests arrays or objects more than {MAX_BODY_DEPTH} levels deep")
    return value


def check_finite(value: Any, name: str) -> None:
    """ValueError when `value` holds NaN or Infinity anywhere (PostgreSQL's jsonb has no such numbers)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, NonFinite):
            raise ValueError(f"{name} holds {item!r}, which is not a JSON number PostgreSQL can store")
        if isinstance(item, dict | list):
            stack.extend(item.values() if isinstance(item, dict) else item)


def depth_over(value: Any, limit: int) -> bool:
    """True when `value` nests arrays and objects more than `limit` levels deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth + 1 > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def check_text(value: str, name: str) -> str:
    """`value` when PostgreSQL's text can hold it (no NUL, no lone surrogate)."""
    unstorable = unstorable_text(value)
    if unstorable:
        raise ValueError(f"{name}: {unstorable[1]}")
    return value


def check_int4(value: int, name: str) -> int:
    """`value` when it fits PostgreSQL's `integer`."""
    if not -INT4_MAX - 1 <= value <= INT4_MAX:
        raise ValueError(f"{name} {value} is out of range (at most {INT4_MAX})")
    return value


def parse_whole_number(value: str, name: str, low: int, high: int) -> int:
    """A query parameter of ASCII digits from `low` to `high` (no '²', no Arabic-Indic or full-width digits)."""
    if not _ASCII_DIGITS.fullmatch(value) or len(value) > MAX_DIGITS or not low <= int(value) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value[:20]!r}")
    return int(value)


def parse_timestamp(value: str, name: str, example: str) -> datetime:
    """An ISO 8601 date-time with a time zone, in UTC and inside the years 1 to 9999 once in UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} {value[:40]!r} is not an ISO 8601 date-time such as {example}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} {value[:40]!r} has no time zone; end it with Z (UTC) or an offset such as +02:00")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-23:59 is in year 10000 in UTC, 0001-01-01T00:00+23:59 in year 0
        raise ValueError(f"{name} {value[:40]!r} is outside the years 1 to 9999 in UTC") from None


def parse_duration_seconds(value: str, name: str) -> float:
    """The length in seconds of an ISO 8601 duration such as PT30S or P1DT2H (days, hours, minutes, seconds)."""
    match = _DURATION.fullmatch(value)
    if match is None:
        raise ValueError(f"{name} {value[:40]!r} is not an ISO 8601 duration such as PT30S or PT2M5S")
    # Plain arithmetic, not timedelta: P99999999999D is a large number here, not an OverflowError.
    return sum(float(part) * _SECONDS[unit] for unit, part in match.groupdict().items() if part)
