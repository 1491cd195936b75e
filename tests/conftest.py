"""Shared fixtures: the real PostgreSQL, the Notion and GitHub fakes, and sample data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MODULES = REPO_ROOT / "data" / "modules"
REFERENCE = REPO_ROOT.parent / "shared" / "reference"


@pytest.fixture
def module_tree(tmp_path: Path) -> Path:
    """A copy of data/ (modules, assets, schema) in a temporary folder; returns its data/modules."""
    import shutil

    shutil.copytree(REPO_ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("backups"))
    return tmp_path / "data" / "modules"


# --- github fake ---
@pytest.fixture(scope="session")
def _github_server():
    from tests.fakes.github_server import FakeGitHub

    server = FakeGitHub()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def github_fake(_github_server):
    """The fake GitHub (fresh state) with `owner/frames` whose main holds a copy of the repo's data/ folder."""
    from tests.fakes.github_fixture import GitHubFake

    _github_server.reset()
    fake = GitHubFake(_github_server)
    fake.seed(REPO_ROOT / "data")
    return fake
