"""The workflows do what docs/operations.md says: triggers, least privilege, one deploy at a time, real commands."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.cli_calls import FLAG, PIPELINE_CALL, call_problems
from tests.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
NAMES = ("export", "validate", "deploy", "backup", "ci", "setup-check", "rehearse", "media-gc")

# Per job, exactly the permissions it may have (docs/operations.md; writeback reads the merged PR).
EXPECTED_PERMISSIONS = {
    ("export", "sync"): {"contents": "write", "pull-requests": "write", "statuses": "write"},
    ("validate", "validate"): {"contents": "read"},
    ("validate", "impact"): {"contents": "read"},
    ("validate", "comment"): {"contents": "read", "pull-requests": "write"},
    ("deploy", "deploy"): {"contents": "read", "pull-requests": "read"},
    ("backup", "backup"): {"contents": "write", "pull-requests": "write", "statuses": "write"},
    ("ci", "test"): {"contents": "read"},
    ("ci", "modules"): {"contents": "read"},
    ("setup-check", "notion"): {"contents": "read"},
    # the GitHub check proves what export's token may do, so it gets exactly export's permissions
    ("setup-check", "github"): {"contents": "write", "pull-requests": "write", "statuses": "write"},
    ("setup-check", "database"): {"contents": "read"},
    ("rehearse", "rehearse"): {"contents": "read"},
    ("rehearse", "cleanup"): {},
    ("rehearse", "sweep"): {},
    ("media-gc", "gc"): {"contents": "read", "pull-requests": "read"},
}

ARRAY_FLAGS = re.compile(r"args\+?=\(([^)]*)\)")


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(name: str) -> list[dict[str, Any]]:
    return [step for job in load(name)["jobs"].values() for step in job.get("steps", [])]


def run_scripts() -> list[tuple[str, str]]:
    return [(name, step["run"]) for name in NAMES for step in steps(name) if "run" in step]


def test_there_is_exactly_one_file_per_workflow_of_the_design() -> None:
    assert sorted(p.stem for p in WORKFLOWS.glob("*.y*ml")) == sorted(NAMES)


def test_export_runs_nightly_by_hand_for_one_page_and_on_notion_ready_dispatch() -> None:
    on = load("export")["on"]
    assert on["schedule"][0]["cron"]
    assert on["workflow_dispatch"]["inputs"]["page_id"]["required"] is False
    assert on["repository_dispatch"]["types"] == ["notion-ready"]
    script = next(s["run"] for s in steps("export") if "pipeline sync" in s.get("run", ""))
    assert "--page" in script


def test_validate_runs_on_pull_requests_touching_data_without_secrets() -> None:
    on = load("validate")["on"]
    assert set(on) == {"pull_request"}
    assert "data/**" in on["pull_request"]["paths"]
    text = (WORKFLOWS / "validate.yml").read_text()
    assert "secrets." not in yaml.safe_dump(load("validate")["jobs"]["validate"])  # the impact job has its own
    assert "--format github" in text
    assert "GITHUB_STEP_SUMMARY" in text


def test_validate_uploads_the_preview_and_links_it_in_the_summary() -> None:
    preview = next(s["run"] for s in steps("validate") if "pipeline preview" in s.get("run", ""))
    assert "--out preview" in preview and "--base" in preview
    upload = next(s for s in steps("validate") if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == "preview"
    link = next(s for s in steps("validate") if "ARTIFACT_URL" in s.get("env", {}))
    assert "artifact-url" in link["env"]["ARTIFACT_URL"] and "GITHUB_STEP_SUMMARY" in link["run"]


def test_deploy_runs_on_main_data_changes_one_at_a_time_in_production() -> None:
    workflow = load("deploy")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert "data/**" in workflow["on"]["push"]["paths"]
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["concurrency"]["group"]
    job = workflow["jobs"]["deploy"]
    assert job["environment"] == "production"
    commands = [PIPELINE_CALL.search(s["run"]).group(1) for s in job["steps"] if "pipeline" in s.get("run", "")]
    assert commands == ["db upgrade", "deploy", "writeback"]
    # deploy writes its plan into the job summary itself; writeback's report is added by the step
    assert "GITHUB_STEP_SUMMARY" in job["steps"][-1]["run"]


def test_backup_runs_weekly_and_proposes_a_pull_request() -> None:
    workflow = load("backup")
    _minute, _hour, day, month, weekday = workflow["on"]["schedule"][0]["cron"].split()
    assert (day, month) == ("*", "*") and weekday != "*"
    script = next(s["run"] for s in steps("backup") if "pipeline backup" in s.get("run", ""))
    assert "data/backups/notion/" in script
    assert any(s.get("uses", "").startswith("peter-evans/create-pull-request@") for s in steps("backup"))
    status = next(s["run"] for s in steps("backup") if "statuses/" in s.get("run", ""))
    assert "context=modules/validate" in status and "python -m pipeline validate" in status


def test_ci_runs_the_readme_test_command_and_the_workflow_checks() -> None:
    on = load("ci")["on"]
    assert "push" in on and "pull_request" in on
    scripts = [s.get("run", "") for s in steps("ci")]
    assert "python3 dev.py test" in scripts
    assert any("zizmor --offline" in s for s in scripts)
    assert any("check-jsonschema --builtin-schema vendor.github-workflows" in s for s in scripts)
    assert "python3 dev.py test" in (REPO_ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_permissions_are_empty_at_the_top_and_least_privilege_per_job(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {}
    for job_id, job in workflow["jobs"].items():
        assert job.get("permissions") == EXPECTED_PERMISSIONS[(name, job_id)], f"{name}.yml job {job_id}"


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    for line in (WORKFLOWS / f"{name}.yml").read_text().splitlines():
        if re.match(r"\s*(- )?uses:", line):
            assert re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


@pytest.mark.parametrize("name", NAMES)
def test_checkout_keeps_no_credentials_and_python_is_pinned_with_pip_cache(name: str) -> None:
    for step in steps(name):
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
        if uses.startswith("actions/setup-python@"):
            assert re.fullmatch(r"3\.11\.\d+", step["with"]["python-version"])
            assert step["with"]["cache"] == "pip"
            assert "requirements" in step["with"]["cache-dependency-path"]


def test_every_workflow_uses_the_same_python() -> None:
    versions = {
        s["with"]["python-version"]
        for n in NAMES
        for s in steps(n)
        if s.get("uses", "").startswith("actions/setup-python@")
    }
    assert len(versions) == 1


def test_no_expression_is_interpolated_into_a_script() -> None:
    for name, script in run_scripts():
        assert "${{" not in script, f"{name}.yml: pass expressions through env:, not into run:\n{script}"


def test_requirements_are_pinned() -> None:
    for file in ("requirements.txt", "requirements-dev.txt"):
        for line in (REPO_ROOT / file).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                assert re.fullmatch(r"[A-Za-z0-9_.-]+(\[[a-z,]+\])?==[\w.]+", line), f"{file}: {line}"


def test_every_pipeline_command_in_a_workflow_exists_with_its_flags() -> None:
    problems: list[str] = []
    for name, script in run_scripts():
        flags_in_arrays = [f for group in ARRAY_FLAGS.findall(script) for f in FLAG.findall(group)]
        for line in script.splitlines():
            if PIPELINE_CALL.search(line):
                problems += [f"{name}.yml: {problem}" for problem in call_problems(line, flags_in_arrays)]
    assert not problems


def test_the_webhook_dispatch_is_the_event_export_listens_for() -> None:
    from pipeline.webhook import DISPATCH_EVENT_TYPE

    workflow = load("export")
    assert workflow["on"]["repository_dispatch"]["types"] == [DISPATCH_EVENT_TYPE]
    sync = next(s for s in steps("export") if "pipeline sync" in s.get("run", ""))
    assert sync["env"]["NOTIFIED_PAGE"] == "${{ github.event.client_payload.page_id }}"


@pytest.mark.parametrize("name", NAMES)
def test_no_step_adds_labels_a_fresh_repository_lacks_without_issues_permission(name: str) -> None:
    # GitHub creates a missing label while adding it only for a token that may write issues; no job has that
    for job_name, job in load(name)["jobs"].items():
        if (job.get("permissions") or {}).get("issues") == "write":
            continue
        labelled = [
            step.get("name") or step["uses"] for step in job.get("steps", []) if "labels" in (step.get("with") or {})
        ]
        assert labelled == [], f"{name}.yml job {job_name}: {labelled} add labels without issues: write"
