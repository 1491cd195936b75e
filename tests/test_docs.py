"""The documentation stays true: its commands, flags, links and environment variables exist in the code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pipeline.settings import _ENV_NAMES
from tests.cli_calls import PIPELINE_CALL, call_problems
from tests.paths import REPO_ROOT

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
OUR_VARIABLE = re.compile(
    r"\b(?:(?:NOTION|GITHUB|DATABASE|PIPELINE|RUNTIME|MEDIA)_[A-Z0-9_]*[A-Z0-9]|MODULES_DIR|ASSETS_DIR)\b"
)
# Set by GitHub Actions in every job (docs.github.com: "Default environment variables").
ACTIONS_VARIABLES = frozenset(
    {
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "GITHUB_SHA",
        "GITHUB_REF",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "GITHUB_ENV",
        "GITHUB_RUN_ID",
        "GITHUB_SERVER_URL",
        "GITHUB_WORKSPACE",
        "GITHUB_EVENT_NAME",
        "GITHUB_ACTIONS",
    }
)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:…


@dataclass(frozen=True)
class Markdown:
    """What a Markdown document shows as code (inline spans, code-block lines) and where it links."""

    code: tuple[str, ...]
    links: tuple[str, ...]
    anchors: frozenset[str]


def _inline_tokens(tokens: list) -> Iterator:
    for token in tokens:
        yield token
        yield from _inline_tokens(token.children or [])


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def read_markdown(text: str) -> Markdown:
    """Parse `text` (CommonMark + tables): code spans and code-block lines, link targets, heading anchors."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    code: list[str] = []
    links: list[str] = []
    anchors: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type in ("fence", "code_block"):
            code += token.content.splitlines()
        if token.type == "heading_open":
            anchors.add(slug(tokens[index + 1].content))
        for inline in _inline_tokens(token.children or []):
            if inline.type == "code_inline":
                code.append(inline.content)
            elif inline.type in ("link_open", "image"):
                links.append(str(inline.attrs.get("href") or inline.attrs.get("src") or ""))
    return Markdown(tuple(code), tuple(links), frozenset(anchors))


def command_problems(markdown: Markdown) -> list[str]:
    """Every `python -m pipeline …` in code that the CLI does not have (a `# comment` in a code line is skipped)."""
    return [
        problem
        for line in markdown.code
        if PIPELINE_CALL.search(line)
        for problem in call_problems(re.split(r"\s#\s", line)[0])
    ]


def link_problems(markdown: Markdown, document: Path) -> list[str]:
    """Relative links whose file (or heading anchor in a Markdown file) does not exist."""
    problems = []
    for link in markdown.links:
        if not link or EXTERNAL.match(link):
            continue
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        if not path.exists():
            problems.append(
                f"{link}: {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path} does not exist"
            )
        elif anchor and path.suffix == ".md" and slug(anchor) not in read_markdown(path.read_text()).anchors:
            problems.append(f"{link}: no heading #{anchor} in {path.name}")
    return problems


def known_variables() -> frozenset[str]:
    """Variables the pipeline reads, the workflows set or use, or Actions sets itself."""
    in_workflows = {name for file in WORKFLOWS.glob("*.yml") for name in OUR_VARIABLE.findall(file.read_text())}
    in_code = {
        name
        for file in (REPO_ROOT / "pipeline").rglob("*.py")
        for name in re.findall(r"environ\.get\(\"([A-Z_]+)\"", file.read_text())
    }
    return frozenset({*_ENV_NAMES.values(), *in_workflows, *in_code, *ACTIONS_VARIABLES})


def variable_problems(markdown: Markdown, known: frozenset[str]) -> list[str]:
    """Environment variable names shown in code that nothing reads or sets."""
    return sorted({name for line in markdown.code for name in OUR_VARIABLE.findall(line) if name not in known})


@pytest.mark.parametrize("document", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_pipeline_command_in_the_docs_exists_with_its_flags(document: Path) -> None:
    assert not command_problems(read_markdown(document.read_text()))


@pytest.mark.parametrize("document", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_in_the_docs_points_to_an_existing_file(document: Path) -> None:
    assert not link_problems(read_markdown(document.read_text()), document)


@pytest.mark.parametrize("document", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_environment_variable_in_the_docs_is_read_or_set_somewhere(document: Path) -> None:
    assert not variable_problems(read_markdown(document.read_text()), known_variables())


def test_the_operations_guide_lists_every_variable_the_settings_read() -> None:
    shown = {
        name
        for line in read_markdown((REPO_ROOT / "docs" / "operations.md").read_text()).code
        for name in OUR_VARIABLE.findall(line)
    }
    read_by_code = {
        name
        for file in (REPO_ROOT / "pipeline").rglob("*.py")
        for name in re.findall(r"environ\.get\(\"([A-Z_]+)\"", file.read_text())
    }
    missing = sorted((set(_ENV_NAMES.values()) | read_by_code) - shown)
    assert not missing, f"docs/operations.md does not list {missing}"


def test_the_checks_catch_a_wrong_command_flag_link_and_variable(tmp_path: Path) -> None:
    # given a document with one mistake of each kind (and the same things done right)
    document = tmp_path / "guide.md"
    document.write_text(
        "# Guide\n\nRun `python -m pipeline deploy --dry-run` or `python -m pipeline deploy --dryrun`.\n\n"
        "```bash\npython -m pipeline notion chek   # --dryrun in a comment is fine\n```\n\n"
        "Set `NOTION_TOKEN` and `NOTION_TOKEN_FILE`. See [the guide](#guide), [gone](missing.md) and "
        "[here](#nowhere); `[not a link](missing.md)`.\n"
    )
    markdown = read_markdown(document.read_text())
    # then each check names exactly the mistake
    assert command_problems(markdown) == [
        "`python -m pipeline deploy` has no option --dryrun",
        "`python -m pipeline notion chek`: no such command",
    ]
    assert [p.split(":")[0] for p in link_problems(markdown, document)] == ["missing.md", "#nowhere"]
    assert variable_problems(markdown, known_variables()) == ["NOTION_TOKEN_FILE"]


# --- the code map matches the tree ------------------------------------------------------------------------------


def _pipeline_entries() -> set[str]:
    """What `ls pipeline/` shows that is code: modules and packages (names as `x.py` and `x/`)."""
    root = REPO_ROOT / "pipeline"
    return {
        f"{path.name}/" if path.is_dir() else path.name
        for path in root.iterdir()
        if (path.is_dir() and (path / "__init__.py").exists()) or path.suffix == ".py"
    }


def _table_rows(text: str, heading: str) -> list[str]:
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")]


def _named_entries(cell: str) -> set[str]:
    """`pipeline/x.py`, `pipeline/y/` and the bare `z.py` / `w/` listed after them in one table cell."""
    spans = re.findall(r"`([^`]+)`", cell)
    if not any(span.startswith("pipeline/") for span in spans):
        return set()
    return {span.removeprefix("pipeline/") for span in spans if re.fullmatch(r"(pipeline/)?[a-z_]+(\.py|/)", span)}


def test_the_architecture_page_lists_every_entry_of_pipeline_and_nothing_else() -> None:
    rows = _table_rows((REPO_ROOT / "docs" / "architecture.md").read_text(), "## The packages")
    listed = set().union(*(_named_entries(row.split(" | ")[0]) for row in rows))

    assert listed == _pipeline_entries()


def test_the_readme_layout_names_every_stage_and_shared_package_and_only_what_exists() -> None:
    rows = _table_rows((REPO_ROOT / "README.md").read_text(), "## Layout")
    named = set().union(*(_named_entries(row.split(" | ")[0]) for row in rows))

    assert named <= _pipeline_entries()
    assert _pipeline_entries() - named == {"__init__.py", "__main__.py"}


def test_the_architecture_page_names_every_module_of_every_package() -> None:
    rows = _table_rows((REPO_ROOT / "docs" / "architecture.md").read_text(), "## The packages")
    missing = {}
    for row in rows:
        entry, job = row.split(" | ")[0], row.split(" | ", 1)[1]
        match = re.fullmatch(r"\| `pipeline/([a-z_]+)/`", entry.strip())
        if not match:
            continue
        folder = REPO_ROOT / "pipeline" / match.group(1)
        named = set(re.findall(r"`([a-z0-9_]+)`", job))
        modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        if modules - named:
            missing[match.group(1)] = sorted(modules - named)

    assert not missing, f"modules the code map does not name: {missing}"
