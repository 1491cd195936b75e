"""The package's structure: no module imports another in a circle, not even from inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO_ROOT

PIPELINE = REPO_ROOT / "pipeline"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    """pipeline modules `path` imports anywhere: at its top level, under `if TYPE_CHECKING:` and inside functions
    (an import put off until a function runs still ties the two modules together)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name for name in names if name in known)
    return found


def test_no_pipeline_module_imports_another_in_a_circle() -> None:
    files = [p for p in PIPELINE.rglob("*.py") if "migrations" not in p.parts]
    known = {_module_name(p) for p in files}
    graph = {_module_name(p): _top_level_imports(p, known) for p in files}
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        for target in graph.get(name, ()):
            if target in trail:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in done:
                visit(target, [*trail, target])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])

    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)
