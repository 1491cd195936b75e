"""Labels on a fresh repository, with the token export.yml grants (contents, pull-requests, statuses: write).

GitHub creates a missing label through `POST /issues/{n}/labels` only for a token that may write issues; creating
it through `POST /labels` needs Issues or Pull requests: write. The status comes first either way.
"""

from __future__ import annotations

import pytest
from github import GithubException

from pipeline.github.client import github_client
from tests.module_builders import export_edit


def _retitle(data: dict) -> None:
    data["sections"][0]["title"] = "Welcome, new lab member"


EXPORT_WRITES = ("contents", "pull_requests", "statuses")  # what export.yml's job grants


@pytest.fixture(autouse=True)
def _exports_token(github_fake) -> None:
    github_fake.server.restrict_token(*EXPORT_WRITES)


def test_the_fake_refuses_to_create_a_label_without_issues_permission(github_fake):
    # given a PR on a repository that has no "module" label, and a token without issues permission
    repo = github_client(github_fake.settings()).get_repo(github_fake.repo_name)
    main = repo.get_git_commit(repo.get_git_ref("heads/main").object.sha)
    repo.create_git_ref("refs/heads/topic", repo.create_git_commit("t", main.tree, [main]).sha)
    pr = repo.create_pull(base="main", head="topic", title="T", body="B")

    # when a label that does not exist is added, GitHub answers 403 as it does for such a token
    with pytest.raises(GithubException) as refused:
        pr.add_to_labels("module")
    assert refused.value.status == 403
    assert refused.value.data["message"] == "You do not have permission to create labels on this repository."

    # but creating the label first (Pull requests: write is enough) and then adding it works
    repo.create_label("module", "0e8a16")
    pr.add_to_labels("module")
    assert github_fake.labels(pr.number) == ["module"]


def test_propose_on_a_fresh_repository_creates_its_labels_and_sets_the_status(github_fake, module_tree, propose):
    path = export_edit(module_tree, "lab-safety-101", _retitle)

    (result,) = propose(path).results

    assert result.action == "created", result.message
    assert github_fake.labels(1) == ["module", "from-notion"]
    (status,) = github_fake.statuses(github_fake.head("notion/lab-safety-101"))
    assert (status["context"], status["state"]) == ("modules/validate", "success")
    # a second run finds the labels on the PR and creates nothing
    github_fake.server.log.clear()
    (again,) = propose(path).results
    assert again.action == "unchanged" and github_fake.writes() == []


def test_labels_that_cannot_be_made_leave_the_pr_open_with_its_status_and_say_why(github_fake, module_tree, propose):
    # given GitHub fails every label request (as it would for a token with fewer permissions)
    github_fake.server.inject("POST", r"/labels$", count=20, kind="500")
    path = export_edit(module_tree, "lab-safety-101", _retitle)

    (result,) = propose(path).results

    # then the PR is open and mergeable under branch protection: its status is set; the report names the labels
    assert result.action == "created"
    assert "not labelled module, from-notion" in result.message
    (status,) = github_fake.statuses(github_fake.head("notion/lab-safety-101"))
    assert status["state"] == "success"
    assert github_fake.labels(1) == []
