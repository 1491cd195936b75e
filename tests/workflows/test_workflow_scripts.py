"""The workflows' shell steps, run as Actions runs them (bash -eo pipefail) with a stand-in `python` that records
its arguments: what each step runs, what reaches the job summary, and which exit code the job sees."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
PAGE = "153104cd-477e-809d-8dc4-ff2d96ae3090"


@dataclass(frozen=True)
class StepRun:
    status: int
    calls: list[str]
    summary: str
    outputs: str


def run_step(
    tmp_path: Path, workflow: str, name: str, env: dict[str, str], python_exit: int = 0, python_output: str = ""
) -> StepRun:
    """Run the step called `name` of `workflow` with a fake `python` that logs its arguments and exits as told
    (printing `python_output` when given, else "output of <arguments>")."""
    jobs = yaml.safe_load((WORKFLOWS / f"{workflow}.yml").read_text())["jobs"].values()
    script = next(step["run"] for job in jobs for step in job["steps"] if step.get("name") == name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls, summary, outputs = tmp_path / "calls", tmp_path / "summary", tmp_path / "outputs"
    for path in (calls, summary, outputs):
        path.write_text("")
    stand_in = bin_dir / "python"
    said = tmp_path / "python-output"
    said.write_text(python_output)
    speak = f'cat "{said}"' if python_output else 'echo "output of $*"'
    stand_in.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\n{speak}\nexit {python_exit}\n')
    stand_in.chmod(0o755)
    full_env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        **env,
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return StepRun(done.returncode, calls.read_text().splitlines(), summary.read_text(), outputs.read_text())


def test_a_failed_validation_still_writes_the_summary_and_fails_the_job(tmp_path: Path) -> None:
    step = run_step(tmp_path, "validate", "Validate module files", {"BASE_REF": "main"}, python_exit=1)
    assert step.status == 1
    # --base: a running experiment on the PR's base branch must not change in the PR
    assert step.calls == [
        "-m pipeline validate --format github --base origin/main",
        "-m pipeline validate --format text --base origin/main",
    ]
    assert "## Module validation" in step.summary
    assert "output of -m pipeline validate --format text --base origin/main" in step.summary


def test_the_nightly_export_syncs_every_ready_page(tmp_path: Path) -> None:
    step = run_step(tmp_path, "export", "Export, validate and propose", {"PAGE_ID": "", "NOTIFIED_PAGE": ""})
    assert (step.status, step.calls) == (0, ["-m pipeline sync"])
    assert "output of -m pipeline sync" in step.summary


def test_a_webhook_dispatch_runs_the_regular_sync_and_names_the_page(tmp_path: Path) -> None:
    step = run_step(tmp_path, "export", "Export, validate and propose", {"PAGE_ID": "", "NOTIFIED_PAGE": PAGE})
    assert step.calls == ["-m pipeline sync"]
    assert f"Notion reported a change to page {PAGE}" in step.summary


def test_a_page_chosen_by_hand_is_exported_alone(tmp_path: Path) -> None:
    step = run_step(
        tmp_path, "export", "Export, validate and propose", {"PAGE_ID": PAGE.replace("-", ""), "NOTIFIED_PAGE": ""}
    )
    assert step.calls == [f"-m pipeline sync --page {PAGE.replace('-', '')}"]


@pytest.mark.parametrize("page", ["$(touch pwned)", "abc", f"{PAGE} --all"])
def test_a_page_id_that_is_not_a_notion_id_is_refused_before_anything_runs(tmp_path: Path, page: str) -> None:
    step = run_step(tmp_path, "export", "Export, validate and propose", {"PAGE_ID": page, "NOTIFIED_PAGE": ""})
    assert step.status == 2 and step.calls == []
    assert not (tmp_path / "pwned").exists()


def test_a_failed_export_fails_the_job_after_writing_its_report(tmp_path: Path) -> None:
    step = run_step(
        tmp_path, "export", "Export, validate and propose", {"PAGE_ID": "", "NOTIFIED_PAGE": ""}, python_exit=1
    )
    assert step.status == 1
    assert step.summary.rstrip().endswith("```")


@pytest.mark.parametrize(
    ("dry_run", "mass", "expected"),
    [
        ("", "", "-m pipeline deploy --plan-file deploy-plan.txt"),  # a push to main: inputs are empty
        ("true", "false", "-m pipeline deploy --plan-file deploy-plan.txt --dry-run"),
        ("false", "true", "-m pipeline deploy --plan-file deploy-plan.txt --allow-mass-archive"),
    ],
)
def test_deploy_passes_the_manual_choices_as_flags(tmp_path: Path, dry_run: str, mass: str, expected: str) -> None:
    step = run_step(tmp_path, "deploy", "Deploy", {"DRY_RUN": dry_run, "ALLOW_MASS_ARCHIVE": mass})
    assert step.calls == [expected]


def test_backup_writes_into_todays_folder_and_tells_the_next_step(tmp_path: Path) -> None:
    step = run_step(tmp_path, "backup", "Back up the Module Library", {})
    day = datetime.now(UTC).date().isoformat()
    assert step.calls == [f"-m pipeline backup --out data/backups/notion/{day}"]
    assert f"day={day}" in step.outputs


# Text from Notion (a page title, a block's words) that tries to close the summary's code block and add Markdown.
FENCE_BREAKER = "page 'Intro ```' failed:\n```\n# Injected heading\n[click](https://evil.example)\n`````\nend\n"
SUMMARY_STEPS = [
    ("export", "Export, validate and propose", {"PAGE_ID": "", "NOTIFIED_PAGE": ""}),
    ("backup", "Back up the Module Library", {}),
    ("deploy", "Write back to Notion", {}),
    ("validate", "Validate module files", {"BASE_REF": "main"}),
]


@pytest.mark.parametrize(("workflow", "name", "env"), SUMMARY_STEPS, ids=[s[0] for s in SUMMARY_STEPS])
def test_output_carrying_backtick_fences_stays_inside_its_code_block(
    tmp_path: Path, workflow: str, name: str, env: dict[str, str]
) -> None:
    step = run_step(tmp_path, workflow, name, env, python_output=FENCE_BREAKER)

    lines = step.summary.splitlines()
    opening = next(i for i, line in enumerate(lines) if line.startswith("```"))
    fence = lines[opening][: len(lines[opening]) - len(lines[opening].lstrip("`"))]
    closing = [i for i, line in enumerate(lines) if i > opening and line.strip().startswith(fence)]
    # CommonMark: a block closes at a line of at least as many backticks; only the step's own last line may
    assert closing == [len(lines) - 1] and lines[-1] == fence
    assert len(fence) == 6  # one longer than the longest run of backticks in the output
    assert "# Injected heading" in step.summary
