"""The fake GitHub answers like api.github.com: recorded shapes, git's object ids, merge, errors — via PyGithub."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from github import Auth, Github, GithubException, InputGitTreeElement

from pipeline.github.client import git_blob_sha, git_tree_sha

DATA = Path(__file__).resolve().parent.parent / "data" / "github"


def _recorded(name: str) -> list[dict]:
    """The exchanges of a PyGithub ReplayData file: 10-line records separated by a blank line."""
    lines = (DATA / name).read_text().split("\n")
    records = []
    for i in range(0, len(lines) - 9, 11):
        status, body = lines[i + 7], lines[i + 9]
        records.append({"method": lines[i + 1], "status": int(status), "body": json.loads(body) if body else None})
    return records


@pytest.fixture
def repo(github_fake):
    client = Github(
        auth=Auth.Token(github_fake.token),
        base_url=github_fake.base_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    return client.get_repo(github_fake.repo_name)


def _branch_with_file(repo, branch: str, path: str, text: str) -> str:
    main = repo.get_git_commit(repo.get_git_ref("heads/main").object.sha)
    tree = repo.create_git_tree(
        [InputGitTreeElement(path, "100644", "blob", content=text)], base_tree=repo.get_git_tree(main.tree.sha)
    )
    commit = repo.create_git_commit(f"add {path}", tree, [main])
    repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
    return commit.sha


def test_pull_request_has_the_fields_of_a_recorded_github_answer(github_fake, repo):
    (created,) = [r for r in _recorded("Repository.testCreatePull.txt") if r["method"] == "POST"]
    _branch_with_file(repo, "topic", "notes.txt", "hello\n")

    pr = repo.create_pull(base="main", head="topic", title="T", body="B")

    ours = github_fake.pulls()[0]
    # fields propose and writeback do not read are left out of the fake
    wanted = set(created["body"]) - {
        "_links",
        "patch_url",
        "review_comments",
        "review_comments_url",
        "review_comment_url",
        "comments_url",
        "additions",
        "deletions",
        "changed_files",
        "mergeable_state",
        "rebaseable",
        "assignee",
        "milestone",
    }
    assert len(wanted) > 20 and wanted - set(ours) == set()
    assert {"ref", "sha", "label", "repo"} <= set(ours["head"])
    assert pr.head.ref == "topic" and pr.html_url.startswith(github_fake.base_url)


def test_object_ids_are_the_ones_git_computes(github_fake, repo, tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "data" / "modules").mkdir(parents=True)
    (tmp_path / "data" / "modules" / "a.json").write_text("{}\n")
    (tmp_path / "README.md").write_text("# hi\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    git_tree = subprocess.run(
        ["git", "-C", str(tmp_path), "write-tree"], check=True, capture_output=True, text=True
    ).stdout.strip()

    tree = repo.create_git_tree(
        [
            InputGitTreeElement("data/modules/a.json", "100644", "blob", content="{}\n"),
            InputGitTreeElement("README.md", "100644", "blob", content="# hi\n"),
        ]
    )

    assert tree.sha == git_tree
    assert (
        git_tree_sha(
            {"data/modules/a.json": ("100644", git_blob_sha(b"{}\n")), "README.md": ("100644", git_blob_sha(b"# hi\n"))}
        )
        == git_tree
    )


def test_merge_makes_a_merge_commit_on_main_and_commit_pulls_finds_the_pr(github_fake, repo):
    (merged,) = [r for r in _recorded("PullRequest.testMerge.txt") if r["method"] == "PUT"]
    head = _branch_with_file(repo, "topic", "notes.txt", "hello\n")
    pr = repo.create_pull(base="main", head="topic", title="T", body="B")
    main_before = github_fake.head("main")

    status = pr.merge()

    assert set(merged["body"]) <= {"sha", "merged", "message"} and status.merged
    assert github_fake.head("main") == status.sha
    assert github_fake.repo.git.commits[status.sha].parents == (main_before, head)
    assert github_fake.read_file("notes.txt") == b"hello\n"
    assert repo.get_pull(pr.number).merged_at is not None
    assert [p.number for p in repo.get_commit(status.sha).get_pulls()] == [pr.number]
    assert [p.number for p in repo.get_commit(head).get_pulls()] == [pr.number]


def test_github_error_answers(github_fake, repo):
    _branch_with_file(repo, "topic", "notes.txt", "hello\n")
    repo.create_pull(base="main", head="topic", title="T", body="B")

    with pytest.raises(GithubException) as duplicate:
        repo.create_pull(base="main", head="topic", title="T", body="B")
    assert duplicate.value.status == 422
    assert duplicate.value.data["errors"][0]["message"] == "A pull request already exists for owner:topic."

    with pytest.raises(GithubException) as existing_ref:
        repo.create_git_ref("refs/heads/topic", github_fake.head("main"))
    assert existing_ref.value.data["message"] == "Reference already exists"

    with pytest.raises(GithubException) as not_fast_forward:
        repo.get_git_ref("heads/topic").edit(github_fake.head("main"))
    assert not_fast_forward.value.status == 422
    repo.get_git_ref("heads/topic").edit(github_fake.head("main"), force=True)

    with pytest.raises(GithubException) as missing:
        repo.get_contents("no/such/file.json", ref="main")
    assert missing.value.status == 404 and missing.value.data["message"] == "Not Found"
    assert "documentation_url" in missing.value.data


def test_no_commits_between_main_and_a_branch_at_main(github_fake, repo):
    repo.create_git_ref("refs/heads/empty", github_fake.head("main"))
    with pytest.raises(GithubException) as refused:
        repo.create_pull(base="main", head="empty", title="T", body="B")
    assert refused.value.data["errors"][0]["message"] == "No commits between main and empty"


def test_contents_statuses_labels_comments_and_dispatches(github_fake, repo):
    head = _branch_with_file(repo, "topic", "notes.txt", "héllo\n")
    pr = repo.create_pull(base="main", head="topic", title="T", body="B")

    assert repo.get_contents("notes.txt", ref="topic").decoded_content == "héllo\n".encode()
    assert [r.ref for r in repo.get_git_matching_refs("heads/to")] == ["refs/heads/topic"]
    repo.get_commit(head).create_status("pending", description="running", context="modules/validate")
    repo.get_commit(head).create_status("failure", description="1 problem", context="modules/validate")
    combined = repo.get_commit(head).get_combined_status()
    assert (combined.state, combined.total_count) == ("failure", 1)
    pr.add_to_labels("module", "from-notion")
    pr.create_issue_comment("Looks good")
    assert [label.name for label in repo.get_pull(pr.number).labels] == ["module", "from-notion"]
    assert [c.body for c in pr.get_issue_comments()] == ["Looks good"]
    assert repo.create_repository_dispatch("notion-ready", {"page_id": "abc"})
    assert github_fake.repo.dispatches == [{"event_type": "notion-ready", "client_payload": {"page_id": "abc"}}]


def test_bad_token_gets_401_bad_credentials(github_fake):
    client = Github(
        auth=Auth.Token("wrong"), base_url=github_fake.base_url, seconds_between_requests=0, seconds_between_writes=0
    )
    with pytest.raises(GithubException) as refused:
        client.get_repo(github_fake.repo_name)
    assert refused.value.status == 401 and refused.value.data["message"] == "Bad credentials"


@pytest.mark.parametrize(
    "recording, method, make",
    [
        (
            "Repository.testCreateGitRef.txt",
            "POST",
            lambda repo, fake: repo.create_git_ref("refs/heads/x", fake.head("main")).raw_data,
        ),
        (
            "Repository.testCreateGitTreeWithBaseTree.txt",
            "POST",
            lambda repo, fake: (
                repo.create_git_tree([InputGitTreeElement("a.txt", "100644", "blob", content="a")]).raw_data
            ),
        ),
        (
            "Repository.testCreateGitCommitWithParents.txt",
            "POST",
            lambda repo, fake: repo.get_git_commit(fake.head("main")).raw_data,
        ),
        (
            "Repository.testCreateGitBlob.txt",
            "POST",
            lambda repo, fake: repo.create_git_blob("hello", "utf-8").raw_data,
        ),
    ],
)
def test_git_data_answers_have_the_recorded_fields(github_fake, repo, recording, method, make):
    (recorded,) = [r for r in _recorded(recording) if r["method"] == method]

    ours = make(repo, github_fake)

    assert set(recorded["body"]) - set(ours) == set()


def test_error_bodies_match_the_ones_users_quoted(github_fake, repo):
    cases = json.loads((DATA / "github_error_bodies.json").read_text())["cases"]
    pr_exists = next(c["body"] for c in cases if c["case"].startswith("create_pull: PR already exists"))
    ref_exists = next(c["body"] for c in cases if c["case"].startswith("create_git_ref: reference already exists"))
    _branch_with_file(repo, "topic", "notes.txt", "hello\n")
    repo.create_pull(base="main", head="topic", title="T", body="B")

    with pytest.raises(GithubException) as duplicate_pr:
        repo.create_pull(base="main", head="topic", title="T", body="B")
    with pytest.raises(GithubException) as duplicate_ref:
        repo.create_git_ref("refs/heads/topic", github_fake.head("main"))

    assert duplicate_pr.value.data["message"] == pr_exists["message"]
    assert duplicate_pr.value.data["errors"][0].keys() == pr_exists["errors"][0].keys()
    assert duplicate_ref.value.data["message"] == ref_exists["message"]
