"""The repository as a newcomer gets it: no module in data/, and `python3 dev.py run` deploys the demos."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import text

from tests.paths import REPO_ROOT, SAMPLE_MODULES


def test_a_new_repository_has_no_module_that_a_deploy_would_publish() -> None:
    # the demos (with invented Notion page ids) live in examples/, so the first real deploy publishes nothing
    assert not list((REPO_ROOT / "data" / "modules").glob("*.json"))
    assert not [p for p in (REPO_ROOT / "data" / "assets").rglob("*") if p.name != ".gitkeep"]
    assert (REPO_ROOT / "data" / "schemas" / "module-schema.json").is_file()
    assert sorted(p.stem for p in SAMPLE_MODULES.glob("*.json")) == [
        "equipment-tour",
        "first-pull-request",
        "lab-safety-101",
    ]


def test_dev_run_deploys_the_examples(empty_database, database_url: str) -> None:
    # given an empty database (DATABASE_URL stands in for the embedded one: same steps, no second server)
    env = {k: v for k, v in os.environ.items() if k not in ("MODULES_DIR", "ASSETS_DIR", "GITHUB_SHA")}
    env["DATABASE_URL"] = database_url

    # when a newcomer runs the README's first command
    result = subprocess.run(
        [sys.executable, "dev.py", "run"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )

    # then the three demo modules are live
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MODULES_DIR=examples/modules" in result.stdout
    with empty_database.connect() as conn:
        live = conn.execute(
            text("SELECT module_id FROM modules WHERE archived_at IS NULL ORDER BY module_id")
        ).scalars()
        assert list(live) == ["equipment-tour", "first-pull-request", "lab-safety-101"]
