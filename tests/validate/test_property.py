"""Property-based: whatever bytes or documents arrive, validate answers with problems, never a crash."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.module.document import ModuleLoadError, parse_module
from pipeline.module.problems import Problem
from pipeline.validate.rules import validate_documents
from tests.module_builders import sample_module
from tests.paths import SAMPLE_ASSETS, SAMPLE_MODULES

MODULES = SAMPLE_MODULES
ASSETS = SAMPLE_ASSETS

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def check(raw: bytes) -> list[Problem]:
    """Parse and validate like the command does; a refusal is a Problem, anything else is a bug."""
    try:
        doc = parse_module(raw, Path("data/modules/fuzz.json"))
    except ModuleLoadError as exc:
        problems = [exc.problem]
    else:
        problems = validate_documents([doc], MODULES, ASSETS)
    for problem in problems:
        assert problem.path and problem.message
        assert problem.pointer == "" or problem.pointer.startswith("/")
        assert problem.line is None or problem.line >= 1
    return problems


def paths_of(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every container path in `value`."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths_of(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths_of(child, (*prefix, index))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_are_refused_cleanly(raw: bytes) -> None:
    check(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_random_json_documents_are_refused_cleanly(value: Any) -> None:
    problems = check(json.dumps(value).encode())
    assert problems, "a random document is never a valid module"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_sample_modules_never_crash_validate(data: st.DataObject) -> None:
    module = sample_module(module_id="fuzz")
    for _ in range(data.draw(st.integers(1, 4))):
        target_path = data.draw(st.sampled_from(paths_of(module)))
        parent = module
        for key in target_path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "delete", "add-key"]))
        if not target_path:
            module = copy.deepcopy(module)
        elif action == "replace":
            parent[target_path[-1]] = data.draw(json_values)
        elif action == "delete" and isinstance(parent, dict):
            del parent[target_path[-1]]
        elif action == "delete" and isinstance(parent, list):
            parent.pop(target_path[-1])
        elif isinstance(parent.get(target_path[-1]) if isinstance(parent, dict) else None, dict):
            parent[target_path[-1]][data.draw(st.text(max_size=8))] = data.draw(json_values)
    check(json.dumps(module, indent=data.draw(st.sampled_from([None, 2]))).encode())


MARKDOWN_PIECES = [
    *"[]()<>:&\\/!#*`\n -_.a",
    "javascript",
    "http",
    "https",
    "mailto",
    "data",
    "/assets/",
    "\u200b",
    "\t",
    "&#106;",
    "Note",
    "x:",
    "(a",
    "]: ",
]
markdown_alphabet = st.sampled_from(MARKDOWN_PIECES)


@settings(max_examples=2000, deadline=None)
@given(st.lists(markdown_alphabet, max_size=40).map("".join))
def test_markdown_shortcut_never_skips_a_text_the_parser_would_refuse(text: str) -> None:
    from pipeline.module.markdown_policy import is_plainly_safe, is_safe_link, policy_parser

    if is_plainly_safe(text):
        tokens = policy_parser().parse(text)
        children = [c for t in tokens for c in (t.children or [])]
        assert not any(t.type in ("html_block", "html_inline", "image") for t in tokens + children)
        hrefs = [str(t.attrs.get("href")) for t in children if t.type == "link_open"]
        assert all(is_safe_link(h) for h in hrefs), hrefs
