"""The workflows pass zizmor (offline) and GitHub's workflow schema — the same checks ci.yml runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def _tool(name: str) -> str:
    """The tool installed beside this interpreter (the project's .venv), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `python3 dev.py test` (it installs requirements-dev.txt)")
    return found


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)


def test_every_workflow_passes_zizmor_offline_with_no_findings() -> None:
    result = _run(_tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_every_workflow_matches_the_github_workflow_schema() -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files)
    assert result.returncode == 0, result.stdout + result.stderr


UNSAFE_WORKFLOW = """\
name: unsafe
on: pull_request_target
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def test_zizmor_refuses_an_unpinned_injectable_workflow(tmp_path: Path) -> None:
    # Given a workflow with a tag-pinned action and a PR title interpolated into a script
    (tmp_path / "unsafe.yml").write_text(UNSAFE_WORKFLOW)
    # When zizmor audits it, then it fails: the check above is able to fail
    result = _run(_tool("zizmor"), "--offline", "--no-progress", str(tmp_path / "unsafe.yml"))
    assert result.returncode != 0
    assert "template-injection" in result.stdout
    assert "unpinned-uses" in result.stdout


def test_schema_check_refuses_a_job_without_runner(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("on: push\njobs:\n  build:\n    steps:\n      - run: 'true'\n")
    result = _run(
        _tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(tmp_path / "broken.yml")
    )
    assert result.returncode != 0


def _scripts() -> list[tuple[str, str]]:
    import yaml

    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_id, job in yaml.safe_load(path.read_text())["jobs"].items():
            found += [
                (f"{path.name} {job_id}: {step.get('name', step['run'][:30])}", step["run"])
                for step in job.get("steps", [])
                if "run" in step
            ]
    return found


def _shellcheck(script: str) -> subprocess.CompletedProcess[str]:
    # Actions runs `run:` with `bash --noprofile --norc -eo pipefail {0}`.
    return subprocess.run(
        [_tool("shellcheck"), "--shell=bash", "-"],
        input=f"#!/bin/bash\nset -eo pipefail\n{script}",
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("where", "script"), _scripts(), ids=[w for w, _ in _scripts()])
def test_every_run_script_passes_shellcheck(where: str, script: str) -> None:
    result = _shellcheck(script)
    assert result.returncode == 0, f"{where}\n{result.stdout}"


def test_shellcheck_refuses_an_unquoted_expansion() -> None:
    assert _shellcheck("rm -rf $TARGET/*\n").returncode != 0
