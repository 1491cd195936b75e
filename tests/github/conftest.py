"""Helpers for the GitHub-side tests: edit a module file as a new export would, and run propose on it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.module import load_module, write_module
from pipeline.propose import ProposeReport, propose_modules


def export_edit(modules_dir: Path, module_id: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """Change a module file the way a new export would: content edited, revision raised."""
    path = modules_dir / f"{module_id}.json"
    data = json.loads(json.dumps(load_module(path).data))
    change(data)
    data["metadata"]["revision"] += 1
    write_module(path, data)
    return path


@pytest.fixture
def propose(github_fake, module_tree) -> Callable[..., ProposeReport]:
    """Run propose_modules against the fake for some module files of `module_tree` (default: all)."""

    def run(*paths: Path) -> ProposeReport:
        settings = github_fake.settings(modules_dir=module_tree)
        return propose_modules(list(paths) or None, settings)

    return run
