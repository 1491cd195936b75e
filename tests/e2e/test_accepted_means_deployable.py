"""Property: whatever document validate accepts, deploy stores in the real PostgreSQL and preview renders.

Documents start from the sample module and get a few fields replaced by generated values: any Unicode
(NUL and lone surrogates included), Markdown built from the characters that make it interesting, integers
from far below to far above what the columns hold, whole numbers written with a fraction. Documents that
validate refuses must be refused with problems; every accepted one must deploy and preview without an
exception, and the database must hold exactly the content of the file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from pipeline.deploy.apply import deploy
from pipeline.preview.build import build_preview
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.module_builders import sample_module
from tests.sql import scalar

MODULE_ID = "generated-module"
# Fields whose text the schema hardly constrains: most replacements there are accepted.
FREE_TEXT = {"title", "description", "category", "content", "label", "prompt", "explanation", "instruction"} | {
    "learning_objectives",
    "choices",
    "cohort",
}
MARKDOWN_PIECES = [*"[]()<>:&\\/!#*_`|~\n -.a", "\n\n", "https://example.org", "/assets/", "&amp;", "\x00", "\ud800"]

# Mostly values a schema field may hold (so most documents are accepted), now and then any code point at all.
plain_text = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=40)
any_text = st.one_of(plain_text, plain_text, plain_text, st.text(st.characters(codec=None), max_size=40))
markdown = st.lists(st.sampled_from(MARKDOWN_PIECES) | plain_text, min_size=1, max_size=30).map("".join)
integers = st.one_of(st.integers(0, 100), st.integers(0, 100), st.integers(-(2**63), 2**63), st.just(2**31))
raw_numbers = st.sampled_from(["10.0", "1e1", "1.5", "-0.0", "1e999", "9" * 400])


def leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """The paths of every string and number in `value`, except module_id (it names the file)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() if path or k != "module_id" for p in leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))]
    return [path] if isinstance(value, (str, int)) and not isinstance(value, bool) else []


def replaced(data: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return data


@st.composite
def module_texts(draw: st.DrawFn) -> str:
    """A module file's text: the sample with one to three leaves replaced (raw numbers spliced into the JSON)."""
    data = sample_module(module_id=MODULE_ID, prerequisites=[])
    raw: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 3))):
        every = leaves(data)
        free = [p for p in every if set(p) & FREE_TEXT]
        path = draw(st.sampled_from(free) | st.sampled_from(every))
        current: Any = data
        for key in path:
            current = current[key]
        if isinstance(current, str):
            value: Any = draw(markdown if path[-1] in ("content", "description") else any_text)
        elif draw(st.booleans()):
            value = draw(integers)
        else:
            value = f"@@raw{len(raw)}@@"
            raw[json.dumps(value)] = draw(raw_numbers)
        data = replaced(data, path, value)
    text = json.dumps(data, indent=2, ensure_ascii=draw(st.booleans()))
    for marker, literal in raw.items():
        text = text.replace(marker, literal)
    return text


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=module_texts())
def test_what_validate_accepts_deploy_stores_and_preview_renders(
    text: str, settings: Settings, migrated_engine: Engine, tmp_path: Path
) -> None:
    path = settings.modules_dir / f"{MODULE_ID}.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")

    report = validate_paths([settings.modules_dir], settings)

    note("\n".join(str(p) for p in report.problems))
    event("refused" if not report.ok else "accepted")
    if not report.ok:
        assert all(p.message and p.path for p in report.problems)
        return
    result = deploy(None, settings)
    preview = build_preview([path], tmp_path / "preview", settings)

    assert not result.refused_modules
    stored = json.loads(
        scalar(
            migrated_engine,
            "SELECT document::text FROM module_revisions r JOIN modules m "
            "ON m.module_id = r.module_id AND m.revision = r.revision WHERE m.module_id = :m",
            m=MODULE_ID,
        )
    )
    # the content exactly (metadata is bookkeeping: changing only it deploys nothing, so an earlier example's stays)
    content = {k: v for k, v in report.documents[MODULE_ID].data.items() if k != "metadata"}
    assert {k: v for k, v in stored.items() if k != "metadata"} == content
    assert [e.error for e in preview.entries] == [None]
    assert (tmp_path / "preview" / "modules" / f"{MODULE_ID}.html").is_file()
