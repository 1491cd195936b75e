"""Map JSON pointers to line numbers in a JSON text, so every problem can name its line.

Only used when something is reported, so it favours robustness over speed: it is iterative (any
nesting depth), tolerant of the non-standard literals NaN/Infinity, and records duplicate keys.
"""

from __future__ import annotations

import bisect
import json.decoder
import re
from collections.abc import Callable
from dataclasses import dataclass, field

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# The stdlib's own JSON string scanner (typeshed does not declare it): the locator reads strings as json does.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _skip_whitespace(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


_SCALAR = re.compile(r"-?Infinity|NaN|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_NON_STANDARD = ("NaN", "Infinity", "-Infinity")


def escape_pointer_token(token: str) -> str:
    """RFC 6901 escaping of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer_of(*parts: str | int) -> str:
    """Build a JSON pointer from keys and indexes: pointer_of("sections", 2, "title") -> /sections/2/title."""
    return "".join("/" + escape_pointer_token(str(p)) for p in parts)


@dataclass
class JsonLocations:
    """Where each value sits (pointer -> 1-based line), plus duplicate keys and non-standard numbers."""

    lines: dict[str, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[str, int]] = field(default_factory=list)
    non_standard_numbers: list[tuple[str, int, str]] = field(default_factory=list)
    # numbers written with more than 15 characters or an exponent: the ones that may be out of range
    long_numbers: list[tuple[str, int, str]] = field(default_factory=list)

    def line_of(self, pointer: str) -> int | None:
        """The line of `pointer`, or of its nearest located ancestor."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


def locate(text: str) -> JsonLocations:
    """Scan `text` once and record the line of every key and value."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_at(pos: int) -> int:
        return bisect.bisect_right(newlines, pos - 1) + 1

    found = JsonLocations()
    # Stack entries: [kind, pointer, seen_keys_or_next_index]
    stack: list[list] = []
    pos = 0
    n = len(text)
    if text.startswith("\ufeff"):
        pos = 1
    pending_pointer = ""  # pointer of the next value to be read
    expecting_key = False
    try:
        while pos < n:
            pos = _skip_whitespace(text, pos)
            if pos >= n:
                break
            ch = text[pos]
            if expecting_key:
                if ch == "}":
                    stack.pop()
                    pos += 1
                    expecting_key = bool(stack) and stack[-1][0] == "object"
                    continue
                if ch == ",":
                    pos += 1
                    continue
                if ch != '"':
                    break
                key, pos = _scanstring(text, pos + 1)
                frame = stack[-1]
                pointer = frame[1] + "/" + escape_pointer_token(key)
                line = line_at(pos)
                if key in frame[2]:
                    found.duplicate_keys.append((pointer, line))
                else:
                    frame[2].add(key)
                found.lines.setdefault(pointer, line)
                pos = _skip_whitespace(text, pos)
                if pos < n and text[pos] == ":":
                    pos += 1
                pending_pointer = pointer
                expecting_key = False
                continue
            if stack and stack[-1][0] == "array":
                frame = stack[-1]
                if ch == "]":
                    stack.pop()
                    pos += 1
                    expecting_key = bool(stack) and stack[-1][0] == "object"
                    continue
                if ch == ",":
                    pos += 1
                    continue
                pending_pointer = frame[1] + "/" + str(frame[2])
                frame[2] += 1
            found.lines.setdefault(pending_pointer, line_at(pos))
            if ch == "{":
                stack.append(["object", pending_pointer, set()])
                pos += 1
                expecting_key = True
                continue
            if ch == "[":
                stack.append(["array", pending_pointer, 0])
                pos += 1
                continue
            if ch == '"':
                _, pos = _scanstring(text, pos + 1)
            else:
                match = _SCALAR.match(text, pos)
                if not match:
                    break
                if match.group() in _NON_STANDARD:
                    found.non_standard_numbers.append((pending_pointer, line_at(pos), match.group()))
                elif ch in "-0123456789" and (match.end() - pos > 15 or "e" in match.group().lower()):
                    found.long_numbers.append((pending_pointer, line_at(pos), match.group()))
                pos = match.end()
            expecting_key = bool(stack) and stack[-1][0] == "object"
    except (ValueError, IndexError):
        pass  # a malformed tail: keep what was located so far
    return found
