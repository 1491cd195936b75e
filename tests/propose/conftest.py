"""Helpers for the GitHub-side tests: edit a module file as a new export would, and run propose on it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.propose.proposal import ProposeReport, propose_modules


@pytest.fixture
def propose(github_fake, module_tree) -> Callable[..., ProposeReport]:
    """Run propose_modules against the fake for some module files of `module_tree` (default: all)."""

    def run(*paths: Path) -> ProposeReport:
        settings = github_fake.settings(modules_dir=module_tree)
        return propose_modules(list(paths) or None, settings)

    return run
