"""The review jobs: learner impact and the sticky comment for same-repository PRs only; the rehearsal optional."""

from __future__ import annotations

import re

import yaml

from tests.cli_calls import PIPELINE_CALL
from tests.workflows.test_workflow_structure import WORKFLOWS, load

SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def secrets_of(job: dict) -> set[str]:
    return set(re.findall(r"secrets\.([A-Za-z_]+)", yaml.safe_dump(job)))


def test_no_workflow_runs_on_pull_request_target() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        assert "pull_request_target" not in load(path.stem)["on"], path.name


def test_impact_never_runs_for_forks_and_its_only_secret_is_the_readonly_url() -> None:
    job = load("validate")["jobs"]["impact"]

    assert SAME_REPOSITORY in job["if"]
    assert secrets_of(job) == {"DATABASE_READONLY_URL"}
    assert job["permissions"] == {"contents": "read"}
    assert job["environment"]
    step = next(s for s in job["steps"] if "--impact" in s.get("run", ""))
    assert "deploy --dry-run --impact --format json" in step["run"]
    assert 'if [ -z "${DATABASE_READONLY_URL:-}" ]' in step["run"]  # not configured: say so, do not fail


def test_the_comment_never_runs_for_forks_and_holds_no_secret() -> None:
    job = load("validate")["jobs"]["comment"]

    assert SAME_REPOSITORY in job["if"] and "!cancelled()" in job["if"]
    assert set(job["needs"]) == {"validate", "impact"}
    assert secrets_of(job) == set()
    script = next(s["run"] for s in job["steps"] if "pipeline review" in s.get("run", ""))
    assert PIPELINE_CALL.search(script).group(1) == "review comment"
    for flag in ("--pr", "--head-sha", "--preview-url", "--impact", "--impact-failed"):
        assert flag in script


def test_rehearsal_branches_production_with_neons_action_pinned_and_expiring() -> None:
    workflow = load("rehearse")
    assert workflow["on"]["pull_request"]["paths"] == ["pipeline/db/migrations/**"]
    assert "closed" in workflow["on"]["pull_request"]["types"] and workflow["on"]["schedule"]
    rehearse = workflow["jobs"]["rehearse"]
    assert SAME_REPOSITORY in rehearse["if"]
    create = next(s for s in rehearse["steps"] if "create-branch-action" in s.get("uses", ""))
    assert re.fullmatch(r"neondatabase/create-branch-action@[0-9a-f]{40}", create["uses"])
    assert create["with"]["expires_at"]
    run = next(s["run"] for s in rehearse["steps"] if "db upgrade" in s.get("run", ""))
    assert run.index("pipeline db upgrade") < run.index("pipeline deploy") and "origin/main" in run
    for job in workflow["jobs"].values():
        assert secrets_of(job) <= {"NEON_API_KEY"}
        assert job["environment"] == "migration-rehearsal"
    text = (WORKFLOWS / "rehearse.yml").read_text()
    assert text.count("Migration rehearsal skipped: set the NEON_API_KEY secret") == 1
    assert "Cleanup skipped" in text and "Sweep skipped" in text
