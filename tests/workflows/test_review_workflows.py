"""The review jobs: learner impact and the sticky comment for same-repository PRs only; the rehearsal optional."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.cli_calls import PIPELINE_CALL
from tests.git_repo import git
from tests.workflows.test_workflow_scripts import run_step
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
    assert 'MODULES_DIR="$RUNNER_TEMP/main/data/modules" python -m pipeline deploy' in run
    for job in workflow["jobs"].values():
        assert secrets_of(job) <= {"NEON_API_KEY"}
        assert job["environment"] == "migration-rehearsal"
    text = (WORKFLOWS / "rehearse.yml").read_text()
    assert text.count("Migration rehearsal skipped: set the NEON_API_KEY secret") == 1
    assert "Cleanup skipped" in text and "Sweep skipped" in text


def test_impact_without_the_secret_says_it_is_not_configured_and_passes(tmp_path: Path) -> None:
    step = run_step(tmp_path, "validate", "Measure the learner impact", {"DATABASE_READONLY_URL": ""})

    assert (step.status, step.calls) == (0, [])
    assert "configured=false" in step.outputs
    assert "Learner impact is not configured: set the DATABASE_READONLY_URL secret" in step.summary


def test_impact_with_the_secret_hands_its_json_to_the_comment_job(tmp_path: Path) -> None:
    env = {"DATABASE_READONLY_URL": "postgresql://frames_review:pw@host/db", "RUNNER_TEMP": str(tmp_path)}

    step = run_step(tmp_path, "validate", "Measure the learner impact", env)

    assert step.status == 0
    assert step.calls == [
        "-m pipeline deploy --dry-run --impact --format json",
        "-m pipeline deploy --dry-run --impact",
    ]
    assert step.outputs.startswith(
        "configured=true\nreport<<IMPACT_JSON_END\noutput of -m pipeline deploy --dry-run --impact --format json\n"
        "IMPACT_JSON_END\n"
    )
    assert "## Learner impact" in step.summary


def pr_checkout(root: Path) -> str:
    """A checkout like the comment job's: origin/main, then a PR that edits one module and deletes another."""
    modules = root / "data" / "modules"
    modules.mkdir(parents=True)
    (modules / "kept.json").write_text("{}\n")
    (modules / "gone.json").write_text("{}\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    (modules / "kept.json").write_text('{"edited": true}\n')
    (modules / "gone.json").unlink()
    git(root, "commit", "-q", "-am", "the PR")
    return git(root, "rev-parse", "HEAD").strip()


COMMENT_ENV = {"BASE_REF": "main", "PR_NUMBER": "7", "PREVIEW_URL": "https://example.org/artifact"}


def test_the_comment_step_passes_the_changed_files_the_pr_and_the_impact(tmp_path: Path) -> None:
    head = pr_checkout(tmp_path)
    env = {**COMMENT_ENV, "HEAD_SHA": head, "RUNNER_TEMP": str(tmp_path), "IMPACT_RESULT": "success"}
    env |= {"IMPACT_CONFIGURED": "true", "IMPACT_REPORT": '{"modules": []}'}

    step = run_step(tmp_path, "validate", "Write the review comment", env)

    assert step.status == 0
    assert step.calls == [
        "-m pipeline review comment data/modules/gone.json data/modules/kept.json --base origin/main --pr 7 "
        f"--head-sha {head} --preview-url https://example.org/artifact --impact {tmp_path}/impact.json"
    ]
    assert (tmp_path / "impact.json").read_text() == '{"modules": []}\n'


@pytest.mark.parametrize(
    ("result", "configured", "flag"), [("failure", "", "--impact-failed"), ("success", "false", None)]
)
def test_the_comment_step_says_when_impact_failed_or_is_not_configured(
    tmp_path: Path, result: str, configured: str, flag: str | None
) -> None:
    head = pr_checkout(tmp_path)
    env = {**COMMENT_ENV, "HEAD_SHA": head, "RUNNER_TEMP": str(tmp_path), "IMPACT_RESULT": result}
    env |= {"IMPACT_CONFIGURED": configured, "IMPACT_REPORT": ""}

    (call,) = run_step(tmp_path, "validate", "Write the review comment", env).calls

    assert "--impact " not in call
    assert (flag in call) if flag else "--impact-failed" not in call


def test_rehearsal_without_neon_settings_says_it_skipped_and_why(tmp_path: Path) -> None:
    step = run_step(tmp_path, "rehearse", "Check the Neon settings", {"NEON_API_KEY": "", "NEON_PROJECT_ID": ""})

    assert (step.status, step.calls) == (0, [])
    assert "configured=false" in step.outputs
    assert "Migration rehearsal skipped: set the NEON_API_KEY secret and the NEON_PROJECT_ID variable" in step.summary


@pytest.mark.parametrize(("python_exit", "result"), [(0, "ok"), (1, "failed (exit 1)")])
def test_rehearsal_times_each_step_in_the_summary(tmp_path: Path, python_exit: int, result: str) -> None:
    pr_checkout(tmp_path)
    env = {"BRANCH": "rehearsal/pr-7", "EXPIRES_AT": "2026-12-04T20:00:00Z", "RUNNER_TEMP": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()

    step = run_step(tmp_path, "rehearse", "Migrate the copy and deploy main's modules onto it", env, python_exit)

    assert step.status == python_exit
    assert step.calls == ["-m pipeline db upgrade", "-m pipeline deploy"][: 2 - python_exit]
    assert "## Migration rehearsal on Neon branch `rehearsal/pr-7` (expires 2026-12-04T20:00:00Z)" in step.summary
    assert re.search(rf"\| db upgrade \(this PR's migrations\) \| \d+\.\d \| {re.escape(result)} \|", step.summary)
