"""The module document: strict loading, canonical dumping, content hashing and atomic writing.

The module file is the contract between Notion, GitHub and PostgreSQL (docs/module-format.md).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from pipeline.module.canonical import content_hash
from pipeline.module.json_locator import JsonLocations, locate, pointer_of
from pipeline.module.media import is_windows_reserved
from pipeline.module.problems import Problem, Severity, display_path

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
# Numbers beyond ±(2**53 - 1) lose digits in JavaScript and in most JSON readers; no module field needs them.
MAX_INTEGER = 2**53 - 1
_MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))
# Characters PostgreSQL cannot store in text or jsonb: NUL, and UTF-16 surrogates (JSON's "\ud800" escapes that
# are not half of a pair): such a string is not valid Unicode, so it cannot be encoded as UTF-8 either.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# module_id and section_id (docs/architecture.md, the module file): they become file names, branch names and URLs.
_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_ID_LENGTH = 64


def is_valid_id(value: str) -> bool:
    """True for lowercase words joined by single hyphens, at most 64 characters (e.g. lab-safety-101), that is
    not a device name Windows reserves (con, nul, prn, aux, com1-9, lpt1-9: con.json breaks a checkout there)."""
    return id_problem(value) is None


def id_problem(value: str) -> str | None:
    """Why `value` is not a valid id, in words (e.g. for a Notion comment), or None when it is one."""
    if len(value) > MAX_ID_LENGTH or _ID.fullmatch(value) is None:
        return f"{value[:80]!r} must be lowercase words joined by hyphens, at most {MAX_ID_LENGTH} characters"
    if is_windows_reserved(value):
        return f"{value!r} is a device name Windows reserves (a file {value}.json cannot be checked out there)"
    return None


class ModuleLoadError(Exception):
    """A module file could not be read as a JSON object; `problem` says where and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


@dataclass(frozen=True)
class ModuleDocument:
    """One parsed module file. `data` is the JSON object; treat it as read-only."""

    path: Path | None
    text: str
    data: dict[str, Any]
    # True when parse_module read it: text and numbers checked (content_problem finds nothing), `fractions` known.
    strict: bool = False
    # Whether any number was written with a fraction or an exponent (10.0, 1e2): the schema's integers must not be.
    fractions: bool = True

    @property
    def module_id(self) -> str | None:
        value = self.data.get("module_id")
        return value if isinstance(value, str) else None

    @cached_property
    def display_path(self) -> str:
        return display_path(self.path) if self.path else "<module>"

    @property
    def content_hash(self) -> str:
        return content_hash(self.data)

    def locations(self) -> JsonLocations:
        """Where each JSON pointer sits in the file (computed on demand)."""
        return _cached_locations(self.text)

    def line_of(self, pointer: str) -> int | None:
        return self.locations().line_of(pointer)

    def problem(self, pointer: str, message: str, severity: Severity = "error") -> Problem:
        """A Problem at `pointer` in this file, with its line."""
        return Problem(self.display_path, self.line_of(pointer), pointer, message, severity)


@lru_cache(maxsize=64)
def _cached_locations(text: str) -> JsonLocations:
    return locate(text)


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


class _NonStandardNumber(ValueError):
    pass


class _NumberOutOfRange(ValueError):
    def __init__(self, literal: str) -> None:
        self.literal = literal
        super().__init__(literal)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> float:
    raise _NonStandardNumber(name)


class _StrictDecoder(json.JSONDecoder):
    """Duplicate keys, NaN/Infinity and out-of-range numbers refused; records whether any number had a fraction."""

    def __init__(self) -> None:
        super().__init__(
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_int=self._integer,
            parse_float=self._float,
        )
        self.fractions = False

    @staticmethod
    def _integer(literal: str) -> int:
        # Checked by length first: int() of a 5,000-digit literal raises (Python's digit limit) or takes long.
        if len(literal.lstrip("-")) > _MAX_INTEGER_DIGITS or abs(value := int(literal)) > MAX_INTEGER:
            raise _NumberOutOfRange(literal)
        return value

    def _float(self, literal: str) -> float:
        self.fractions = True
        value = float(literal)
        if not math.isfinite(value) or abs(value) > MAX_INTEGER:
            raise _NumberOutOfRange(literal)
        return value


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def parse_module(raw: bytes | str, path: Path | None = None) -> ModuleDocument:
    """Parse module bytes strictly; raise ModuleLoadError naming the file, line and fix."""
    shown = display_path(path) if path else "<module>"

    def fail(message: str, line: int | None = None, pointer: str = "") -> ModuleLoadError:
        return ModuleLoadError(Problem(shown, line, pointer, message))

    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"file is {len(raw):,} bytes; a module file may be at most {MAX_FILE_BYTES:,} bytes")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise fail("file starts with a UTF-8 byte-order mark (BOM); save it as UTF-8 without BOM", 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise fail(f"invalid UTF-8 at byte {exc.start} ({exc.reason}); save the file as UTF-8", line) from None
    if not text.strip():
        raise fail("file is empty; a module file holds one JSON object", 1)
    decoder = _StrictDecoder()
    try:
        data, end = decoder.raw_decode(text, _leading_whitespace_end(text))
        if text[end:].strip():
            line, col = _line_col(text, end + (len(text[end:]) - len(text[end:].lstrip())))
            raise fail(f"extra data after the JSON object (column {col}); a file holds exactly one object", line)
    except _DuplicateKey as exc:
        located = locate(text)
        pointer, at = located.duplicate_keys[0] if located.duplicate_keys else ("", None)
        raise fail(f"duplicate key {exc.key!r}: a key may appear once per object; remove one", at, pointer) from None
    except _NonStandardNumber as exc:
        located = locate(text)
        pointer, at, _ = located.non_standard_numbers[0] if located.non_standard_numbers else ("", None, "")
        raise fail(f"{exc} is not valid JSON; write a number or null", at, pointer) from None
    except _NumberOutOfRange as exc:
        located = locate(text)
        pointer, at = next(((p, n) for p, n, lit in located.long_numbers if lit == exc.literal), ("", None))
        raise fail(_out_of_range(exc.literal), at, pointer) from None
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise fail(f"JSON nested too deeply; a module is at most {MAX_DEPTH} levels deep", 1) from None
    if not isinstance(data, dict):
        raise fail(f"top level is a JSON {_json_type(data)}; a module file holds one JSON object", 1)
    depth_pointer = _too_deep(data)
    if depth_pointer is not None:
        raise fail(f"JSON nested deeper than {MAX_DEPTH} levels", locate(text).line_of(depth_pointer), depth_pointer)
    # Only a \u escape can put NUL or a lone surrogate into a string: strict UTF-8 and JSON refuse them raw.
    found = unstorable_text(data) if "\\u" in text else None
    if found is not None:
        pointer, message = found
        raise fail(message, locate(text).line_of(pointer), pointer)
    return ModuleDocument(path, text, data, strict=True, fractions=decoder.fractions)


def _out_of_range(literal: str) -> str:
    shown = literal if len(literal) <= 24 else f"{literal[:12]}…{literal[-6:]} ({len(literal):,} characters)"
    return (
        f"number {shown} is out of range: numbers in a module are at most {MAX_INTEGER:,} "
        "(2^53 - 1) either way; write the number the field needs"
    )


def unstorable_text(data: object) -> tuple[str, str] | None:
    """(pointer, message) of the first key or string PostgreSQL cannot store (NUL, a lone surrogate), or None."""
    stack: list[tuple[object, str]] = [(data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, str):
            match = _UNSTORABLE.search(value)
            if match:
                return pointer, _describe_unstorable(match.group(), match.start())
        elif isinstance(value, dict):
            for key, child in value.items():
                match = _UNSTORABLE.search(key)
                if match:
                    return pointer + pointer_of(key), _describe_unstorable(match.group(), match.start(), "key")
                stack.append((child, pointer + pointer_of(key)))
        elif isinstance(value, list):
            stack.extend((child, f"{pointer}/{i}") for i, child in enumerate(value))
    return None


def _describe_unstorable(char: str, index: int, what: str = "text") -> str:
    where = f"{what} has, at character {index + 1},"
    if char == "\x00":
        return f"{where} U+0000 (a NUL control character), which the database cannot store; remove it"
    return (
        f"{where} a lone surrogate U+{ord(char):04X} (half of a UTF-16 pair, not a character), which is not "
        "valid Unicode; remove it or write the whole character"
    )


def content_problem(data: object) -> tuple[str, str] | None:
    """What parse_module refuses in a document built in memory (export): unstorable text, numbers out of range."""
    found = unstorable_text(data)
    if found is not None:
        return found
    stack: list[tuple[object, str]] = [(data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            if not (isinstance(value, int) or math.isfinite(value)) or abs(value) > MAX_INTEGER:
                return pointer, _out_of_range(str(value))
        elif isinstance(value, dict):
            stack.extend((child, pointer + pointer_of(key)) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((child, f"{pointer}/{i}") for i, child in enumerate(value))
    return None


def _leading_whitespace_end(text: str) -> int:
    return len(text) - len(text.lstrip(" \t\n\r"))


def _json_type(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _too_deep(data: object) -> str | None:
    """Pointer of the first value nested deeper than MAX_DEPTH, or None (iterative: any depth is safe)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return _pointer_at_depth(data, MAX_DEPTH + 1)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)) or depth >= MAX_DEPTH)
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)) or depth >= MAX_DEPTH)
    return None


def _pointer_at_depth(data: object, wanted: int) -> str:
    """The pointer of some value at nesting depth `wanted` (only called once a file is known too deep)."""
    stack: list[tuple[object, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, pointer = stack.pop()
        if depth == wanted:
            return pointer
        if isinstance(value, dict):
            stack.extend((v, depth + 1, pointer + pointer_of(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{pointer}/{i}") for i, v in enumerate(value))
    return ""


def load_module(path: Path) -> ModuleDocument:
    """Read and strictly parse one module file."""
    return parse_module(read_module_bytes(path), path)


def read_module_bytes(path: Path) -> bytes:
    """The bytes of one module file; ModuleLoadError when it is too large or cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ModuleLoadError(
                Problem(
                    display_path(path),
                    None,
                    "",
                    f"file is {size:,} bytes; a module file may be at most {MAX_FILE_BYTES:,} bytes",
                )
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ModuleLoadError(Problem(display_path(path), None, "", f"cannot read file: {exc.strerror}")) from None
    return raw
