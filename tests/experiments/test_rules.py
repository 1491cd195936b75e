"""Validate refuses experiments that cannot run fairly, in words a team lead reads, and a running experiment
never changes: against the PR's base branch (validate --base) and against what is live (deploy)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.deploy.apply import deploy
from pipeline.errors import ValidationFailed
from pipeline.module.document import ModuleDocument
from pipeline.notion.wording import issue_text, problem_issue
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.experiments.conftest import DEMO
from tests.git_repo import git


def _demo() -> dict[str, Any]:
    return json.loads(DEMO.read_text(encoding="utf-8"))


def _write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "ppe-basics.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def _messages(folder: Path, data: dict[str, Any]) -> list[str]:
    path = _write(folder, data)
    return [p.message for p in validate_paths([path], Settings(modules_dir=folder)).problems]


def test_the_demo_experiment_is_valid(tmp_path: Path) -> None:
    assert _messages(tmp_path, _demo()) == []


def test_weights_must_add_up_to_100(tmp_path: Path) -> None:
    data = _demo()
    data["experiments"][0]["arms"][1]["weight"] = 40
    assert _messages(tmp_path, data) == [
        "experiment 'ppe-video-vs-text': the arms' weights add up to 50 + 40 = 90, not 100"
    ]


def test_an_arm_keeps_each_tested_section_in_its_place_and_the_metric_is_a_quiz(tmp_path: Path) -> None:
    data = _demo()
    data["experiments"][0]["arms"][1]["sections"][0]["section_number"] = 3
    data["experiments"][0]["metric"] = {"kind": "quiz_pass", "section_id": "why-ppe"}
    assert sorted(_messages(tmp_path, data)) == [
        "experiment 'ppe-video-vs-text' measures passing the quiz of section 'Why PPE matters', which is not a "
        "quiz; measure its completion instead, or name a quiz section",
        "experiment 'ppe-video-vs-text', arm 'Video': its version of 'Choosing your PPE' must keep the section's "
        "place (2), not 3",
    ]


def test_a_section_is_in_one_running_experiment_at_a_time(tmp_path: Path) -> None:
    data = _demo()
    second = copy.deepcopy(data["experiments"][0])
    second["experiment_id"] = second["seed"] = "ppe-slides"
    data["experiments"].append(second)
    (message,) = _messages(tmp_path, data)
    assert "both run on section 'Choosing your PPE'" in message and "stop one of them" in message


def test_an_arm_s_section_passes_the_section_rules(tmp_path: Path) -> None:
    data = _demo()
    data["experiments"][0]["arms"][1]["sections"][0]["media_url"] = "/assets/ppe-basics/missing.mp4"
    (message,) = _messages(tmp_path, data)
    assert "missing.mp4" in message


def test_the_team_lead_reads_experiment_problems_in_the_page_s_words(tmp_path: Path) -> None:
    data = _demo()
    data["experiments"][0]["arms"][1]["weight"] = 40
    path = _write(tmp_path, data)
    (problem,) = validate_paths([path], Settings(modules_dir=tmp_path)).problems
    said = issue_text(problem_issue(problem, ModuleDocument(path, "", data).data, "page"))
    assert said.startswith("the Experiment column and the page's 'Variant:' toggles, experiment 1")
    assert "/experiments" not in said and "data/" not in said


def _repo_with_demo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    modules = repo / "data" / "modules"
    modules.mkdir(parents=True)
    shutil.copy(DEMO, modules / DEMO.name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the demo experiment runs")
    return modules


def test_a_pr_that_changes_a_running_experiment_is_refused_against_its_base(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    modules = _repo_with_demo(tmp_path)
    data = _demo()
    data["experiments"][0]["arms"][1]["sections"][0]["content"] = "A shorter video."
    _write(modules, data)

    assert main(["validate", str(modules), "--base", "main"]) == 1
    out = capsys.readouterr().out
    assert "experiment 'ppe-video-vs-text' is running (on main)" in out
    assert "set its status to stopped, or start a new experiment with a new id" in out
    assert main(["validate", str(modules)]) == 0  # without a base there is nothing to compare with
    capsys.readouterr()


@pytest.mark.parametrize(
    "change",
    ["stop it", "start a new id", "conclude it"],
)
def test_stopping_renaming_or_concluding_a_running_experiment_is_allowed(
    tmp_path: Path, change: str, capsys: pytest.CaptureFixture[str]
) -> None:
    modules = _repo_with_demo(tmp_path)
    data = _demo()
    experiment = data["experiments"][0]
    if change == "stop it":
        experiment["status"] = "stopped"
    elif change == "start a new id":
        experiment["experiment_id"] = experiment["seed"] = "ppe-video-vs-text-2"
        experiment["arms"][1]["weight"], experiment["arms"][0]["weight"] = 30, 70
    else:
        del data["experiments"]
    _write(modules, data)
    assert main(["validate", str(modules), "--base", "main"]) == 0, capsys.readouterr().out


def test_a_stopped_experiment_cannot_run_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    modules = _repo_with_demo(tmp_path)
    data = _demo()
    data["experiments"][0]["status"] = "stopped"
    _write(modules, data)
    git(modules.parent.parent, "commit", "-q", "-am", "stop it")
    data["experiments"][0]["status"] = "running"
    _write(modules, data)
    assert main(["validate", str(modules), "--base", "main"]) == 1
    assert "was stopped (on main) and cannot run again" in capsys.readouterr().out


def test_deploy_refuses_to_change_a_running_experiment_that_is_live(demo_deployed: Settings) -> None:
    data = _demo()
    data["experiments"][0]["arms"][0]["weight"], data["experiments"][0]["arms"][1]["weight"] = 90, 10
    _write(demo_deployed.modules_dir, data)
    with pytest.raises(ValidationFailed) as refused:
        deploy(None, demo_deployed)
    assert "is running (live in the database)" in str(refused.value.problems)
