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


# --- notion fake ---
@pytest.fixture(scope="session")
def _notion_fake_server():
    from tests.fakes.notion_server import NotionFake

    fake = NotionFake()
    yield fake
    fake.close()


@pytest.fixture
def notion_fake(_notion_fake_server):
    """The fake Notion API (fresh state each test): .base_url, .token, builders (add_module_library, add_page,
    edit_block, set_status…), fault injection (rate_limit, inject, expire_files) and the request .log."""
    _notion_fake_server.reset()
    return _notion_fake_server
