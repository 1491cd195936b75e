"""The fake GitHub's pull-request routes (list, create, edit, merge)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.fakes.github_routes import BOT_EMAIL, BOT_NAME, Answer, _on
from tests.fakes.github_server import ApiError, Repo, _now

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub


def _pull(repo: Repo, number: str) -> dict:
    pr = repo.pulls.get(int(number))
    if pr is None:
        raise ApiError(404, "Not Found")
    return pr


def _branch(repo: Repo, head: str) -> str:
    owner, sep, branch = head.partition(":")
    return branch if sep and owner == repo.owner else head if not sep else ""


@_on("GET", "/pulls")
def list_pulls(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    state = query.get("state", "open")
    found = [pr for pr in repo.pulls.values() if state == "all" or pr["state"] == state]
    if "head" in query:
        # GitHub filters by "user:ref-name"; a bare branch name matches nothing useful, like the real API
        branch = _branch(repo, query["head"]) if ":" in query["head"] else None
        found = [pr for pr in found if pr["head"] == branch]
    if "base" in query:
        found = [pr for pr in found if pr["base"] == query["base"]]
    found.sort(key=lambda pr: pr["number"], reverse=query.get("direction", "desc") == "desc")
    return 200, [fake.pull_json(repo, pr, listed=True) for pr in found], {}


@_on("GET", r"/pulls/(\d+)")
def get_pull(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    return 200, fake.pull_json(repo, _pull(repo, number)), {}


@_on("POST", "/pulls")
def create_pull(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    missing = [f for f in ("title", "head", "base") if not body.get(f)]
    if missing:
        raise ApiError(
            422,
            "Validation Failed",
            [{"resource": "PullRequest", "field": f, "code": "missing_field"} for f in missing],
        )
    head, base = _branch(repo, body["head"]), body["base"]
    head_sha = repo.git.refs.get(f"refs/heads/{head}")
    base_sha = repo.git.refs.get(f"refs/heads/{base}")
    if head_sha is None or base_sha is None:
        wrong = "head" if head_sha is None else "base"
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "field": wrong, "code": "invalid"}])
    if any(pr["head"] == head and pr["base"] == base and pr["state"] == "open" for pr in repo.pulls.values()):
        message = f"A pull request already exists for {repo.owner}:{head}."
        raise ApiError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom", "message": message}])
    if repo.git.is_ancestor(head_sha, base_sha):
        raise ApiError(
            422,
            "Validation Failed",
            [{"resource": "PullRequest", "code": "custom", "message": f"No commits between {base} and {head}"}],
        )
    number = repo.next_number
    repo.next_number += 1
    now = _now()
    repo.pulls[number] = {
        "number": number,
        "id": fake.next_id(),
        "title": body["title"],
        "body": body.get("body"),
        "head": head,
        "base": base,
        "head_sha": head_sha,
        "state": "open",
        "merged": False,
        "merged_at": None,
        "merge_commit_sha": None,
        "closed_at": None,
        "created_at": now,
        "updated_at": now,
    }
    return 201, fake.pull_json(repo, repo.pulls[number]), {}


@_on("PATCH", r"/pulls/(\d+)")
def update_pull(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    pr = _pull(repo, number)
    for key in ("title", "body", "base"):
        if key in body:
            pr[key] = body[key]
    if body.get("state") in ("open", "closed") and not pr["merged"]:
        pr["head_sha"] = fake.pull_head_sha(repo, pr)
        pr["state"] = body["state"]
        pr["closed_at"] = _now() if body["state"] == "closed" else None
    pr["updated_at"] = _now()
    return 200, fake.pull_json(repo, pr), {}


@_on("GET", r"/pulls/(\d+)/merge")
def is_merged(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    if not _pull(repo, number)["merged"]:
        raise ApiError(404, "Not Found")
    return 204, None, {}


@_on("PUT", r"/pulls/(\d+)/merge")
def merge_pull(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    pr = _pull(repo, number)
    if pr["state"] != "open":
        raise ApiError(405, "Pull Request is not mergeable")
    head_sha = fake.pull_head_sha(repo, pr)
    if body.get("sha") and body["sha"] != head_sha:
        raise ApiError(409, "Head branch was modified. Review and try the merge again.")
    base_ref = f"refs/heads/{pr['base']}"
    base_sha = repo.git.refs[base_ref]
    tree = _merged_tree(repo, base_sha, head_sha)
    title = body.get("commit_title") or f"Merge pull request #{pr['number']} from {repo.owner}/{pr['head']}"
    message = title + ("\n\n" + body["commit_message"] if body.get("commit_message") else "")
    signature = {"name": BOT_NAME, "email": BOT_EMAIL, "date": _now()}
    sha = repo.git.put_commit(tree, [base_sha, head_sha], message, signature, signature)
    repo.git.refs[base_ref] = sha
    pr.update(state="closed", merged=True, merged_at=_now(), closed_at=_now(), merge_commit_sha=sha, head_sha=head_sha)
    return 200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}, {}


def _merged_tree(repo: Repo, base_sha: str, head_sha: str) -> str:
    """Base's files with the head's changes since the merge base applied (the head wins a conflict)."""
    git = repo.git
    merge_base = next((c for c in _ancestry(repo, head_sha) if git.is_ancestor(c, base_sha)), None)
    base_files = git.flatten(git.commits[base_sha].tree)
    head_files = git.flatten(git.commits[head_sha].tree)
    old_files = git.flatten(git.commits[merge_base].tree) if merge_base else {}
    for path in set(head_files) | set(old_files):
        if head_files.get(path) != old_files.get(path):
            if path in head_files:
                base_files[path] = head_files[path]
            else:
                base_files.pop(path, None)
    return git.build_tree(base_files)


def _ancestry(repo: Repo, sha: str) -> list[str]:
    order, queue, seen = [], [sha], set()
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        order.append(current)
        queue.extend(repo.git.commits[current].parents)
    return order
