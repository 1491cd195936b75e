"""Posting the review comment on the fake GitHub: one comment, found again and updated, never a second one."""

from __future__ import annotations

import pytest
from github import Auth, Github, GithubException, InputGitTreeElement

from pipeline.errors import GitHubError
from pipeline.review.comment import COMMENT_MARKER, IMPACT_LABEL
from pipeline.review.post import post_review_comment
from tests.fakes.github_issues import add_comment

HUMAN = {"login": "reviewer", "id": 7, "type": "User"}


@pytest.fixture
def pr_number(github_fake) -> int:
    """An open PR on the fake repository."""
    repo = Github(
        auth=Auth.Token(github_fake.token),
        base_url=github_fake.base_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
    ).get_repo(github_fake.repo_name)
    main = repo.get_git_commit(repo.get_git_ref("heads/main").object.sha)
    tree = repo.create_git_tree(
        [InputGitTreeElement("notes.txt", "100644", "blob", content="x\n")], base_tree=repo.get_git_tree(main.tree.sha)
    )
    commit = repo.create_git_commit("edit", tree, [main])
    repo.create_git_ref("refs/heads/notion/lab-safety-101", commit.sha)
    return repo.create_pull(base="main", head="notion/lab-safety-101", title="Module", body="B").number


def body(text: str) -> str:
    return f"{COMMENT_MARKER}\n{text}\n"


def test_second_run_updates_the_same_comment(github_fake, pr_number: int) -> None:
    settings = github_fake.settings()

    first = post_review_comment(settings, pr_number, body("first"), flag=False)
    second = post_review_comment(settings, pr_number, body("second"), flag=False)

    comments = github_fake.repo.comments[pr_number]
    assert [c["body"] for c in comments] == [body("second")]
    assert (first.action, second.action, first.url) == ("created", "updated", second.url)
    assert len(github_fake.requests("POST", f"/issues/{pr_number}/comments")) == 1


def test_unchanged_comment_is_not_written_again(github_fake, pr_number: int) -> None:
    settings = github_fake.settings()
    post_review_comment(settings, pr_number, body("same"), flag=None)
    writes = len(github_fake.writes())

    again = post_review_comment(settings, pr_number, body("same"), flag=None)

    assert again.action == "unchanged"
    assert len(github_fake.writes()) == writes


def test_our_comment_is_found_beyond_the_first_page_and_a_quoted_marker_is_not_ours(
    github_fake, pr_number: int
) -> None:
    repo = github_fake.repo
    ours = add_comment(github_fake.server, repo, pr_number, body("old"))
    for n in range(45):  # a busy PR: ours is on page 2 at GitHub's 30 a page, behind a human quoting it
        add_comment(github_fake.server, repo, pr_number, f"comment {n}", HUMAN)
    add_comment(github_fake.server, repo, pr_number, body("a reviewer quoting the bot"), HUMAN)
    repo.comments[pr_number].append(repo.comments[pr_number].pop(0))  # ours is now the last one

    result = post_review_comment(github_fake.settings(), pr_number, body("new"), flag=False)

    assert result.action == "updated"
    assert ours["body"] == body("new")
    assert [c["body"] for c in repo.comments[pr_number] if c["user"]["type"] != "Bot"][-1] == body(
        "a reviewer quoting the bot"
    )
    pages = [r.query.get("page") for r in github_fake.requests("GET", f"/issues/{pr_number}/comments")]
    assert pages == [None, "2"]


def test_impact_adds_the_label_once_and_removes_it_when_it_is_gone(github_fake, pr_number: int) -> None:
    settings = github_fake.settings()

    added = post_review_comment(settings, pr_number, body("impact"), flag=True)
    kept = post_review_comment(settings, pr_number, body("impact"), flag=True)
    unknown = post_review_comment(settings, pr_number, body("not configured"), flag=None)
    assert github_fake.labels(pr_number) == [IMPACT_LABEL]
    removed = post_review_comment(settings, pr_number, body("none"), flag=False)

    assert (added.label, kept.label, unknown.label, removed.label) == ("added", "kept", "none", "removed")
    assert github_fake.labels(pr_number) == []
    assert IMPACT_LABEL in github_fake.repo.defined_labels
    assert len(github_fake.requests("POST", "/repos/owner/frames/labels")) == 1  # created once, then reused


def test_a_comment_over_githubs_limit_is_refused_with_githubs_message(github_fake, pr_number: int) -> None:
    with pytest.raises(GitHubError, match="body is too long"):
        post_review_comment(github_fake.settings(), pr_number, body("x" * 70_000), flag=None)


def test_unknown_pr_is_a_clear_error(github_fake) -> None:
    with pytest.raises(GitHubError, match="PR #999"):
        post_review_comment(github_fake.settings(), 999, body("x"), flag=None)


def test_pull_requests_write_alone_is_enough_for_the_label(github_fake, pr_number: int) -> None:
    # As validate.yml's comment job grants it: pull-requests: write, no issues permission.
    github_fake.server.restrict_token("contents", "pull_requests")

    posted = post_review_comment(github_fake.settings(), pr_number, body("impact"), flag=True)

    assert (posted.action, posted.label) == ("created", "added")
    assert github_fake.labels(pr_number) == [IMPACT_LABEL]


def test_the_fake_refuses_an_unknown_label_on_a_pr_without_issues_write(github_fake, pr_number: int) -> None:
    # Why the label is created first: adding an unknown one straight to the PR needs issues: write.
    github_fake.server.restrict_token("contents", "pull_requests")
    repo = Github(
        auth=Auth.Token(github_fake.token), base_url=github_fake.base_url, seconds_between_requests=0
    ).get_repo(github_fake.repo_name)

    with pytest.raises(GithubException) as refused:
        repo.get_issue(pr_number).add_to_labels("brand-new")

    assert refused.value.status == 403
    assert refused.value.data["message"] == "You do not have permission to create labels on this repository."


def test_a_read_only_token_gets_a_clear_error(github_fake, pr_number: int) -> None:
    github_fake.server.restrict_token("contents")

    with pytest.raises(GitHubError, match="HTTP 403 Resource not accessible by integration"):
        post_review_comment(github_fake.settings(), pr_number, body("x"), flag=None)
