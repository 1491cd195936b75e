"""`python -m pipeline github check`: what the token may do, proven against the fake GitHub without side effects."""

from __future__ import annotations

from pipeline.cli import main
from pipeline.github.check import check_github_access
from pipeline.propose.proposal import LABELS, propose_modules

EXPORT_PERMISSIONS = ("contents", "pull_requests", "statuses")  # what export.yml grants its job


def _failed(report) -> dict[str, str]:
    return {f.capability: f.detail for f in report.findings if not f.ok}


def test_a_token_with_exports_permissions_passes_and_nothing_but_the_labels_is_created(github_fake):
    # given the token export.yml's job gets, in a repository that has no labels yet
    github_fake.server.restrict_token(*EXPORT_PERMISSIONS)
    refs_before, statuses_before = dict(github_fake.repo.git.refs), dict(github_fake.repo.statuses)

    report = check_github_access(github_fake.settings())

    assert report.ok, report.lines()
    assert [f.capability for f in report.findings] == [
        "repository",
        "branches",
        "pull requests",
        "commit statuses",
        "labels",
    ]
    assert github_fake.repo.git.refs == refs_before and github_fake.repo.statuses == statuses_before
    assert github_fake.repo.pulls == {}
    assert github_fake.repo.defined_labels == set(LABELS)
    assert report.lines()[-1] == "github check of owner/frames: the token can do everything propose needs"


def test_propose_with_exports_permissions_makes_its_labels_and_the_check_then_finds_them(github_fake, module_tree):
    # given export's token (no issues: write, so it may not create a label by using it)
    github_fake.server.restrict_token(*EXPORT_PERMISSIONS)
    (module_tree / "lab-safety-101.json").write_text(
        (module_tree / "lab-safety-101.json").read_text().replace("Lab Safety 101", "Lab Safety 101, revised", 1)
    )
    settings = github_fake.settings(modules_dir=module_tree)

    # when propose runs before any set-up check, it creates the labels (pull-requests: write suffices) and uses them
    proposed = propose_modules([module_tree / "lab-safety-101.json"], settings)
    assert proposed.ok, proposed.summary()
    assert github_fake.repo.labels[proposed.results[0].pr_number] == list(LABELS)

    # then the set-up check finds them and creates nothing more
    assert check_github_access(settings).ok
    assert github_fake.repo.defined_labels == set(LABELS)


def test_each_missing_permission_fails_its_line_and_names_the_setting(github_fake):
    github_fake.server.restrict_token("pull_requests")

    failed = _failed(check_github_access(github_fake.settings()))

    assert set(failed) == {"branches", "commit statuses"}
    assert "Contents: Read and write" in failed["branches"] and "`contents: write`" in failed["branches"]
    assert "Commit statuses: Read and write" in failed["commit statuses"]
    assert "Resource not accessible by integration" in failed["branches"]


def test_without_pull_request_or_issue_write_the_prs_and_labels_fail(github_fake):
    github_fake.server.restrict_token("contents", "statuses")

    failed = _failed(check_github_access(github_fake.settings()))

    assert set(failed) == {"pull requests", "labels"}
    assert "Pull requests: Read and write" in failed["pull requests"]
    assert "Issues → Labels → New label" in failed["labels"]


def test_the_actions_pr_setting_off_is_named_with_the_organisation_lock(github_fake):
    github_fake.server.restrict_token(*EXPORT_PERMISSIONS, actions_may_create_pulls=False)

    failed = _failed(check_github_access(github_fake.settings()))

    assert set(failed) == {"pull requests"}
    assert "Allow GitHub Actions to create and approve pull requests" in failed["pull requests"]
    assert "organisation policy" in failed["pull requests"]


def test_an_unknown_repository_fails_once_naming_github_repository(github_fake, monkeypatch, capsys):
    for name, value in github_fake.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_REPOSITORY", "owner/no-such-repo")

    code = main(["github", "check"])

    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED repository:" in out and "GITHUB_REPOSITORY" in out
    assert github_fake.token not in out


def test_without_a_token_the_command_names_github_token(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", "owner/frames")

    assert main(["github", "check"]) == 2
    assert "GITHUB_TOKEN" in capsys.readouterr().err
