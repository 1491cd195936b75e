"""Turn jsonschema errors into messages a team lead or reviewer can act on."""

from __future__ import annotations

import difflib
import json
import re
from typing import TYPE_CHECKING, Any

from pipeline.module.json_locator import pointer_of

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_PATTERN_HELP = {
    "^[a-z0-9]+(-[a-z0-9]+)*$": "lowercase letters and digits, words joined by single hyphens (e.g. 'lab-safety-101')",
    "^[a-z0-9]+([_-][a-z0-9]+)*$": (
        "lowercase letters and digits, words joined by '_' or '-' (e.g. 'incoming_students')"
    ),
}
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\.\s")
_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), "value")


def _first_sentence(text: str | None) -> str:
    if not text:
        return ""
    return _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".")


def _pattern_help(schema: dict[str, Any]) -> str:
    pattern = schema.get("pattern", "")
    if pattern in _PATTERN_HELP:
        return _PATTERN_HELP[pattern]
    return _first_sentence(schema.get("description")) or f"the pattern {pattern}"


def _section_context(error: ValidationError, root: Any) -> str:
    """' (video section)' when the error comes from a section type's if/then rule."""
    if "allOf" not in error.schema_path:
        return ""
    path = list(error.absolute_path)
    if len(path) >= 2 and path[0] == "sections" and isinstance(root, dict):
        try:
            return f" (in a {root['sections'][path[1]]['section_type']} section)"
        except (KeyError, IndexError, TypeError):
            return ""
    return ""


def describe_error(error: ValidationError, root: Any) -> list[tuple[str, str]]:
    """(json pointer, message) pairs for one jsonschema error."""
    pointer = pointer_of(*error.absolute_path)
    value: Any = error.instance
    rule: Any = error.validator_value  # jsonschema types these as Any | Unset
    schema = error.schema if isinstance(error.schema, dict) else {}
    context = _section_context(error, root)
    kind = error.validator
    if kind == "required":
        missing = [name for name in rule if isinstance(value, dict) and name not in value]
        props = schema.get("properties", {})
        out = []
        for name in missing or [str(error.message)]:
            hint = _first_sentence(props.get(name, {}).get("description")) if isinstance(props.get(name), dict) else ""
            out.append((pointer, f"missing required field {name!r}{context}" + (f": {hint}" if hint else "")))
        return out
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        out = []
        for key in value:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed fields: {', '.join(allowed)}"
            out.append((pointer + pointer_of(key), f"unknown field {key!r}{hint}"))
        return out
    wanted = error.validator_value
    expects_integer = wanted == "integer" or (isinstance(wanted, list) and "integer" in wanted)
    if kind == "type" and expects_integer and isinstance(value, float) and value.is_integer():
        return [
            (pointer, f"must be a whole number written without a fraction{context}: write {int(value)}, not {value}")
        ]
    if kind == "type":
        expected: list[str] = rule if isinstance(rule, list) else [rule]
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        actual = "null" if value is None else f"{_json_type(value)} {_short(value)}"
        return [(pointer, f"must be {names}{context}, not {actual}")]
    if kind == "enum":
        options = ", ".join(_short(v) for v in rule)
        return [(pointer, f"{_short(value)} is not allowed{context}; use one of: {options}")]
    if kind == "const":
        return [(pointer, f"must be {_short(rule)}, not {_short(value)}")]
    if kind == "pattern":
        return [(pointer, f"{_short(value)} is not valid: expected {_pattern_help(schema)}")]
    if kind == "minLength":
        if rule == 1:
            return [(pointer, f"must not be empty{context}")]
        return [(pointer, f"is too short: at least {rule} characters")]
    if kind == "maxLength":
        return [(pointer, f"is {len(value)} characters long; at most {rule} are allowed")]
    if kind in ("minimum", "exclusiveMinimum"):
        return [(pointer, f"{_short(value)} is too small: the minimum is {rule}")]
    if kind in ("maximum", "exclusiveMaximum"):
        return [(pointer, f"{_short(value)} is too large: the maximum is {rule}")]
    if kind == "minItems":
        return [(pointer, f"needs at least {rule} item(s){context}, has {len(value)}")]
    if kind == "maxItems":
        return [(pointer, f"has {len(value)} items; at most {rule} are allowed")]
    if kind == "uniqueItems":
        seen: list[Any] = []
        duplicates: list[Any] = []
        for item in value:
            (duplicates if item in seen else seen).append(item)
        return [(pointer, f"has duplicate items: {', '.join(_short(d) for d in duplicates[:5])}")]
    if kind == "minProperties":
        options = ", ".join(schema.get("properties", {}))
        return [(pointer, f"must name at least one of: {options}")]
    return [(pointer, error.message if len(error.message) < 300 else error.message[:297] + "…")]
