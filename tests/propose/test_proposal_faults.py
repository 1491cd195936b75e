"""propose when GitHub fails: per-module failure, safe reruns, retried POSTs, and clear errors without the token."""

from __future__ import annotations

import pytest

from pipeline.cli import main
from tests.module_builders import export_edit


def _run_cli(monkeypatch, capsys, env: dict[str, str], *args: str) -> tuple[int, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["propose", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _two_changed_modules(module_tree):
    export_edit(module_tree, "equipment-tour", lambda d: d.update(estimated_minutes=20))
    export_edit(module_tree, "lab-safety-101", lambda d: d.update(estimated_minutes=12))
    return [str(module_tree / "equipment-tour.json"), str(module_tree / "lab-safety-101.json")]


@pytest.mark.parametrize("fault", ["500", "secondary-rate-limit"])
def test_failure_between_commit_and_pr_is_reported_and_a_rerun_opens_exactly_one_pr(
    github_fake, module_tree, monkeypatch, capsys, fault
):
    # given: two changed modules, and GitHub failing the first PR creation beyond the retries (2 retries = 3 tries)
    paths = _two_changed_modules(module_tree)
    github_fake.server.inject("POST", r"/pulls$", 3, fault)

    # when
    code, output = _run_cli(monkeypatch, capsys, github_fake.env(), *paths)

    # then: that module failed (branch and commit made, no PR), the other one was proposed
    assert code == 1
    assert "failed    equipment-tour" in output and "run the command again" in output
    assert "created   lab-safety-101" in output
    assert github_fake.token not in output
    assert github_fake.head("notion/equipment-tour") is not None
    assert [pr["head"]["ref"] for pr in github_fake.pulls()] == ["notion/lab-safety-101"]
    failing = 403 if fault == "secondary-rate-limit" else 500
    assert f"too many {failing} error responses" in output
    assert ("rate-limited" in output) == (failing == 403)
    assert [r.status for r in github_fake.requests("POST", "/pulls")] == [failing] * 3 + [201]

    # when: simply running the command again
    github_fake.log.clear()
    code, output = _run_cli(monkeypatch, capsys, github_fake.env(), *paths)

    # then: exactly one PR per module, and no second commit
    assert code == 0, output
    assert "created   equipment-tour" in output and "unchanged lab-safety-101" in output
    assert sorted(pr["head"]["ref"] for pr in github_fake.pulls()) == ["notion/equipment-tour", "notion/lab-safety-101"]
    assert github_fake.requests("POST", "/git/commits") == []


@pytest.mark.parametrize("route", [r"/pulls$", r"/git/refs$"])
def test_create_whose_answer_was_lost_is_retried_without_a_duplicate(github_fake, module_tree, propose, route):
    # given: GitHub makes the ref / PR but the connection drops before the answer; GithubRetry POSTs again
    path = export_edit(module_tree, "lab-safety-101", lambda d: d.update(estimated_minutes=12))
    github_fake.server.inject("POST", route, 1, "drop-after")

    # when
    (result,) = propose(path).results

    # then: the 422 "already exists" counts as found
    assert result.action == "created", result.message
    assert len(github_fake.pulls()) == 1
    assert [r.status for r in github_fake.requests("POST", route.strip("$"))] == [0, 422]


def test_dropped_connection_on_a_read_is_retried(github_fake, module_tree, propose):
    path = export_edit(module_tree, "lab-safety-101", lambda d: d.update(estimated_minutes=12))
    github_fake.server.inject("GET", r"/pulls$", 1, "drop")

    (result,) = propose(path).results

    assert result.action == "created"
    assert [r.status for r in github_fake.requests("GET", "/pulls")][:2] == [0, 200]


def test_unknown_repository_is_a_configuration_error_naming_the_fix(github_fake, module_tree, monkeypatch, capsys):
    env = {**github_fake.env(), "GITHUB_REPOSITORY": "owner/no-such-repo"}

    code, output = _run_cli(monkeypatch, capsys, env, str(module_tree))

    assert code == 2
    assert "owner/no-such-repo" in output and "GITHUB_REPOSITORY" in output
    assert "Traceback" not in output and github_fake.token not in output


def test_bad_token_is_a_configuration_error_without_the_token(github_fake, module_tree, monkeypatch, capsys):
    env = {**github_fake.env(), "GITHUB_TOKEN": "ghp_wrongButSecretValue123"}

    code, output = _run_cli(monkeypatch, capsys, env, str(module_tree))

    assert code == 2
    assert "Bad credentials" in output and "GITHUB_TOKEN" in output
    assert "ghp_wrongButSecretValue123" not in output and "Traceback" not in output


def test_missing_token_is_reported_before_any_request(github_fake, module_tree, monkeypatch, capsys):
    env = github_fake.env()
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    env.pop("GITHUB_TOKEN")

    code, output = _run_cli(monkeypatch, capsys, env, str(module_tree))

    assert code == 2 and "GITHUB_TOKEN" in output
    assert github_fake.log == []


@pytest.mark.parametrize("api_url", ["api.github.com", "ftp://github.example.org/api/v3"])
def test_a_github_api_url_that_is_no_http_url_is_a_configuration_error(
    api_url, github_fake, module_tree, monkeypatch, capsys
):
    env = {**github_fake.env(), "GITHUB_API_URL": api_url}

    code, output = _run_cli(monkeypatch, capsys, env, str(module_tree))

    assert code == 2
    assert f"GITHUB_API_URL={api_url!r} is not an http(s) URL" in output and "Traceback" not in output
    assert github_fake.log == []


def test_a_file_that_is_no_json_is_reported_with_its_problem_and_nothing_is_pushed(
    github_fake, module_tree, monkeypatch, capsys
):
    broken = module_tree / "half-saved.json"
    broken.write_text('{"module_id": "half-saved",\n')

    code, output = _run_cli(monkeypatch, capsys, github_fake.env(), str(broken))

    assert code == 1
    assert "failed    half-saved" in output and "half-saved.json:2" in output and "not valid JSON" in output
    assert github_fake.writes() == []


def test_an_unreachable_github_names_github_api_url(github_fake, module_tree, monkeypatch, capsys):
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    env = {**github_fake.env(), "GITHUB_API_URL": url}

    code, output = _run_cli(monkeypatch, capsys, env, str(module_tree))

    assert code == 1
    assert "could not be reached" in output and "GITHUB_API_URL" in output and "Traceback" not in output


def test_a_folder_without_module_files_is_a_usage_error(github_fake, tmp_path, monkeypatch, capsys):
    code, output = _run_cli(monkeypatch, capsys, github_fake.env(), str(tmp_path))

    assert code == 2
    assert f"no module files in {tmp_path}" in output
    assert github_fake.writes() == []
