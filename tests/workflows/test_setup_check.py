"""setup-check.yml, run the way Actions runs it: its shell steps with the real pipeline against the fake Notion,
the fake GitHub and the real PostgreSQL; each failure names the setting to change."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.paths import REPO_ROOT
from tests.workflows.test_workflow_structure import load

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "setup-check.yml"


@dataclass(frozen=True)
class StepRun:
    status: int
    summary: str
    output: str


def run_check(tmp_path: Path, job: str, env: dict[str, str]) -> StepRun:
    """The job's check step under `bash -eo pipefail`, `python` being this test's interpreter (the .venv)."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"][job]["steps"]
    script = next(step["run"] for step in steps if "pipeline" in step.get("run", ""))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    python = bin_dir / "python"  # a wrapper, not a symlink: the interpreter finds its virtual environment
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    summary = tmp_path / "summary.md"
    summary.write_text("")
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR")}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={
            **keep,
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_ACTIONS": "true",
            **env,
        },
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return StepRun(done.returncode, summary.read_text(), done.stdout + done.stderr)


def test_it_runs_by_hand_only_and_checks_notion_github_and_the_database() -> None:
    workflow = load("setup-check")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    jobs = workflow["jobs"]
    assert set(jobs) == {"notion", "github", "database"}
    commands = {job: next(s["run"] for s in jobs[job]["steps"] if "pipeline" in s.get("run", "")) for job in jobs}
    assert "python -m pipeline notion check" in commands["notion"]
    assert "python -m pipeline github check" in commands["github"]
    assert "python -m pipeline db check" in commands["database"]
    # where the secrets are: the database only in production, as deploy reads it
    assert jobs["database"]["environment"] == "production"
    assert load("deploy")["jobs"]["deploy"]["environment"] == "production"
    # the GitHub check uses the token export uses: the App's when APP_ID is set, else the built-in one
    token = next(s for s in jobs["github"]["steps"] if "pipeline github check" in s.get("run", ""))["env"]
    assert token["GITHUB_TOKEN"] == "${{ steps.app-token.outputs.token || secrets.GITHUB_TOKEN }}"
    assert jobs["github"]["permissions"] == load("export")["jobs"]["sync"]["permissions"]


def test_the_notion_job_passes_on_a_complete_library_and_names_a_missing_column(tmp_path: Path, notion_fake) -> None:
    _, complete = notion_fake.add_module_library()
    env = {"NOTION_TOKEN": notion_fake.token, "NOTION_BASE_URL": notion_fake.base_url}

    ok = run_check(tmp_path / "a", "notion", {**env, "NOTION_DATA_SOURCE_ID": complete})
    assert ok.status == 0, ok.output
    assert "## Notion" in ok.summary and "has every property the export reads" in ok.summary

    notion_fake.rename_property(complete, "Last Updated", "Updated")
    broken = run_check(tmp_path / "b", "notion", {**env, "NOTION_DATA_SOURCE_ID": complete})
    assert broken.status == 1
    assert "'Last Updated'" in broken.summary and broken.summary.rstrip().endswith("```")


def test_the_notion_job_without_the_variable_names_it(tmp_path: Path, notion_fake) -> None:
    run = run_check(tmp_path, "notion", {"NOTION_TOKEN": notion_fake.token, "NOTION_DATA_SOURCE_ID": ""})
    assert run.status == 2
    assert "NOTION_DATA_SOURCE_ID" in run.summary


def test_the_github_job_with_exports_permissions_passes_and_without_the_pr_setting_names_it(
    tmp_path: Path, github_fake
) -> None:
    env = {**github_fake.env(), "TOKEN_KIND": "the built-in GITHUB_TOKEN (APP_ID is not set)"}
    github_fake.server.restrict_token("contents", "pull_requests", "statuses")

    ok = run_check(tmp_path / "a", "github", env)
    assert ok.status == 0, ok.output
    assert "## GitHub, with the built-in GITHUB_TOKEN" in ok.summary
    assert "the token can do everything propose needs" in ok.summary

    github_fake.server.restrict_token("contents", "pull_requests", "statuses", actions_may_create_pulls=False)
    refused = run_check(tmp_path / "b", "github", env)
    assert refused.status == 1
    assert "Allow GitHub Actions to create and approve pull requests" in refused.summary
    assert github_fake.token not in refused.summary + refused.output


def test_the_database_job_checks_both_urls_against_the_real_postgresql(
    tmp_path: Path, empty_database, database_url: str
) -> None:
    run = run_check(tmp_path, "database", {"DATABASE_URL": database_url, "DATABASE_DIRECT_URL": database_url})
    assert run.status == 0, run.output
    assert run.summary.count("is reachable (PostgreSQL") == 2
    assert "migrations, through DATABASE_DIRECT_URL" in run.summary


def test_the_database_job_without_the_secret_names_the_environment_secret(tmp_path: Path) -> None:
    run = run_check(tmp_path, "database", {"DATABASE_URL": "", "DATABASE_DIRECT_URL": ""})
    assert run.status == 2
    assert "DATABASE_URL is empty" in run.summary and "`production` environment's secret DATABASE_URL" in run.summary


def test_it_passes_zizmors_auditor_persona_with_no_finding() -> None:
    # stricter than ci.yml's offline audit: no secret is read outside an environment, and runs are serialised
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(zizmor), "--offline", "--persona", "auditor", "--no-progress", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout
