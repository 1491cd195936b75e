"""The fake GitHub's REST routes: `route()` maps one request to (status, JSON body, headers) or raises ApiError."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.github_git import BLOB_MODE, TreeEntry
from tests.fakes.github_server import ApiError, Repo, _now, content_json, new_blob_entry

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

Answer = tuple[int, Any, dict]
ROUTES: list[tuple[str, re.Pattern[str], Callable[..., Answer]]] = []


def _on(method: str, pattern: str) -> Callable[[Callable[..., Answer]], Callable[..., Answer]]:
    def register(func: Callable[..., Answer]) -> Callable[..., Answer]:
        ROUTES.append((method, re.compile(f"^{pattern}$"), func))
        return func

    return register


def route(fake: FakeGitHub, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
    match = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", path)
    repo = fake.repos.get(f"{match[1]}/{match[2]}") if match else None
    if repo is None:
        raise ApiError(404, "Not Found")
    rest = match[3] or ""
    fake.policy.check(method, rest)
    for verb, pattern, func in ROUTES:
        found = pattern.match(rest)
        if verb == method and found:
            return func(fake, repo, query, body or {}, *found.groups())
    raise ApiError(404, "Not Found")


def _resolve(repo: Repo, ref: str) -> str:
    """A branch name, `heads/x`, `refs/heads/x` or a commit sha -> commit sha."""
    for name in (ref, f"refs/{ref}", f"refs/heads/{ref}"):
        if name in repo.git.refs:
            return repo.git.refs[name]
    if ref in repo.git.commits:
        return ref
    raise ApiError(404, "No commit found for SHA: " + ref if re.fullmatch(r"[0-9a-f]{40}", ref) else "Not Found")


# ---- repository, refs ---------------------------------------------------------------------------------
@_on("GET", "")
def get_repo(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    return 200, fake.repo_json(repo), {}


@_on("GET", r"/git/refs?/(.+)")
def get_ref(fake: FakeGitHub, repo: Repo, query: dict, body: dict, ref: str) -> Answer:
    name = f"refs/{ref}"
    if name not in repo.git.refs:
        raise ApiError(404, "Not Found")
    return 200, fake.ref_json(repo, name), {}


@_on("GET", r"/git/matching-refs/(.*)")
def matching_refs(fake: FakeGitHub, repo: Repo, query: dict, body: dict, prefix: str) -> Answer:
    names = sorted(n for n in repo.git.refs if n.startswith(f"refs/{prefix}"))
    return 200, [fake.ref_json(repo, n) for n in names], {}


@_on("POST", "/git/refs")
def create_ref(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    name, sha = body.get("ref", ""), body.get("sha", "")
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if name in repo.git.refs:
        raise ApiError(422, "Reference already exists")
    if sha not in repo.git.commits:
        raise ApiError(422, "Object does not exist")
    repo.git.refs[name] = sha
    return 201, fake.ref_json(repo, name), {}


@_on("PATCH", r"/git/refs/(.+)")
def update_ref(fake: FakeGitHub, repo: Repo, query: dict, body: dict, ref: str) -> Answer:
    name, sha = f"refs/{ref}", body.get("sha", "")
    if name not in repo.git.refs:
        raise ApiError(422, "Reference does not exist")
    if sha not in repo.git.commits:
        raise ApiError(422, "Object does not exist")
    if not body.get("force") and not repo.git.is_ancestor(repo.git.refs[name], sha):
        raise ApiError(422, "Update is not a fast forward")
    repo.git.refs[name] = sha
    return 200, fake.ref_json(repo, name), {}


@_on("DELETE", r"/git/refs/(.+)")
def delete_ref(fake: FakeGitHub, repo: Repo, query: dict, body: dict, ref: str) -> Answer:
    if repo.git.refs.pop(f"refs/{ref}", None) is None:
        raise ApiError(422, "Reference does not exist")
    return 204, None, {}


# ---- git objects -------------------------------------------------------------------------------------
@_on("POST", "/git/blobs")
def create_blob(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    content = body.get("content", "")
    data = base64.b64decode(content) if body.get("encoding") == "base64" else content.encode()
    sha = repo.git.put_blob(data)
    return 201, {"sha": sha, "url": fake.api(repo, f"/git/blobs/{sha}")}, {}


@_on("GET", r"/git/blobs/([0-9a-f]{40})")
def get_blob(fake: FakeGitHub, repo: Repo, query: dict, body: dict, sha: str) -> Answer:
    if sha not in repo.git.blobs:
        raise ApiError(404, "Not Found")
    data = repo.git.blobs[sha]
    return (
        200,
        {
            "sha": sha,
            "size": len(data),
            "url": fake.api(repo, f"/git/blobs/{sha}"),
            "encoding": "base64",
            "content": base64.b64encode(data).decode(),
        },
        {},
    )


@_on("POST", "/git/trees")
def create_tree(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    base = body.get("base_tree")
    if base and base not in repo.git.trees:
        raise ApiError(422, "Invalid tree info", [{"resource": "Tree", "field": "base_tree", "code": "invalid"}])
    files = repo.git.flatten(base) if base else {}
    for item in body.get("tree", []):
        path = item["path"]
        if "content" in item:
            files[path] = new_blob_entry(repo.git, item["content"])
        elif item.get("sha") is None:
            files.pop(path, None)
        elif item["sha"] not in repo.git.blobs:
            raise ApiError(422, "Invalid tree info", [{"resource": "Tree", "field": "sha", "code": "invalid"}])
        else:
            files[path] = TreeEntry("", item.get("mode", BLOB_MODE), "blob", item["sha"])
    sha = repo.git.build_tree(files)
    return 201, fake.tree_json(repo, sha, recursive=False), {}


@_on("GET", r"/git/trees/([0-9a-f]{40})")
def get_tree(fake: FakeGitHub, repo: Repo, query: dict, body: dict, sha: str) -> Answer:
    if sha not in repo.git.trees:
        raise ApiError(404, "Not Found")
    return 200, fake.tree_json(repo, sha, recursive=query.get("recursive") not in (None, "", "0", "false")), {}


@_on("POST", "/git/commits")
def create_commit(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    tree, parents = body.get("tree", ""), body.get("parents", [])
    if tree not in repo.git.trees or any(p not in repo.git.commits for p in parents):
        raise ApiError(422, "Tree SHA does not exist" if tree not in repo.git.trees else "Parent SHA does not exist")
    signature = {"name": BOT_NAME, "email": BOT_EMAIL, "date": _now()}
    sha = repo.git.put_commit(
        tree,
        parents,
        body.get("message", ""),
        body.get("author") or signature,
        body.get("committer") or body.get("author") or signature,
    )
    return 201, fake.commit_json(repo, sha), {}


BOT_NAME, BOT_EMAIL = "frames-bot", "frames-bot@users.noreply.example.org"


@_on("GET", r"/git/commits/([0-9a-f]{40})")
def get_git_commit(fake: FakeGitHub, repo: Repo, query: dict, body: dict, sha: str) -> Answer:
    if sha not in repo.git.commits:
        raise ApiError(404, "Not Found")
    return 200, fake.commit_json(repo, sha), {}


@_on("GET", r"/commits/([^/]+)")
def get_commit(fake: FakeGitHub, repo: Repo, query: dict, body: dict, ref: str) -> Answer:
    sha = _resolve(repo, ref)
    git = fake.commit_json(repo, sha)
    return (
        200,
        {
            "sha": sha,
            "node_id": "C_fake",
            "url": fake.api(repo, f"/commits/{sha}"),
            "html_url": git["html_url"],
            "commit": {**git, "url": git["url"]},
            "author": None,
            "committer": None,
            "parents": [{"sha": p["sha"], "url": fake.api(repo, f"/commits/{p['sha']}")} for p in git["parents"]],
            "files": [],
            "stats": {"additions": 0, "deletions": 0, "total": 0},
        },
        {},
    )


@_on("GET", r"/contents/(.+)")
def get_contents(fake: FakeGitHub, repo: Repo, query: dict, body: dict, path: str) -> Answer:
    ref = query.get("ref") or repo.default_branch
    commit = _resolve(repo, ref)
    entry = repo.git.flatten(repo.git.commits[commit].tree).get(path.strip("/"))
    if entry is None:
        raise ApiError(404, "Not Found")
    return 200, content_json(fake, repo, path.strip("/"), ref, entry.sha), {}


# ---- labels ---------------------------------------------------------------------------------------------
@_on("GET", r"/labels/(.+)")
def get_label(fake: FakeGitHub, repo: Repo, query: dict, body: dict, name: str) -> Answer:
    if name not in repo.defined_labels:
        raise ApiError(404, "Not Found")
    return 200, fake.label_json(repo, name), {}


@_on("POST", "/labels")
def create_label(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    name, color = body.get("name") or "", str(body.get("color") or "ededed")
    if not name:
        raise ApiError(422, "Validation Failed", [{"resource": "Label", "field": "name", "code": "missing_field"}])
    if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
        raise ApiError(422, "Validation Failed", [{"resource": "Label", "field": "color", "code": "invalid"}])
    if name in repo.defined_labels:
        raise ApiError(422, "Validation Failed", [{"resource": "Label", "field": "name", "code": "already_exists"}])
    repo.defined_labels.add(name)
    return 201, fake.label_json(repo, name), {}


# ---- statuses, dispatches -------------------------------------------------------------------------------
@_on("POST", r"/statuses/([0-9a-f]{40})")
def create_status(fake: FakeGitHub, repo: Repo, query: dict, body: dict, sha: str) -> Answer:
    if sha not in repo.git.commits:
        raise ApiError(422, "No commit found for SHA: " + sha)
    if body.get("state") not in ("error", "failure", "pending", "success"):
        raise ApiError(422, "Validation Failed", [{"resource": "Status", "field": "state", "code": "custom"}])
    status = {
        "id": fake.next_id(),
        "node_id": "SC_fake",
        "sha": sha,
        "state": body["state"],
        "description": body.get("description"),
        "target_url": body.get("target_url"),
        "context": body.get("context") or "default",
        "created_at": _now(),
        "updated_at": _now(),
    }
    repo.statuses.setdefault(sha, []).append(status)
    return 201, fake.status_json(repo, status), {}


@_on("GET", r"/commits/([^/]+)/status")
def combined_status(fake: FakeGitHub, repo: Repo, query: dict, body: dict, ref: str) -> Answer:
    sha = _resolve(repo, ref)
    latest: dict[str, dict] = {}
    for status in repo.statuses.get(sha, []):
        latest[status["context"]] = status
    states = {s["state"] for s in latest.values()}
    state = (
        "failure" if states & {"failure", "error"} else "pending" if not states or "pending" in states else "success"
    )
    return (
        200,
        {
            "state": state,
            "sha": sha,
            "total_count": len(latest),
            "repository": fake.repo_json(repo),
            "statuses": [fake.status_json(repo, s) for s in latest.values()],
            "commit_url": fake.api(repo, f"/commits/{sha}"),
            "url": fake.api(repo, f"/commits/{sha}/status"),
        },
        {},
    )


@_on("GET", r"/commits/([^/]+)/pulls")
def commit_pulls(fake: FakeGitHub, repo: Repo, query: dict, body: dict, ref: str) -> Answer:
    sha = _resolve(repo, ref)
    found = [pr for pr in repo.pulls.values() if sha in (pr["merge_commit_sha"], fake.pull_head_sha(repo, pr))]
    return 200, [fake.pull_json(repo, pr, listed=True) for pr in found], {}


@_on("POST", "/dispatches")
def dispatch(fake: FakeGitHub, repo: Repo, query: dict, body: dict) -> Answer:
    if not body.get("event_type"):
        raise ApiError(422, 'Invalid request.\n\n"event_type" wasn\'t supplied.')
    payload = body.get("client_payload") or {}
    if len(payload) > 10:
        raise ApiError(422, "client_payload may have at most 10 top-level properties")
    repo.dispatches.append({"event_type": body["event_type"], "client_payload": payload})
    return 204, None, {}


from tests.fakes import github_issues as _issues  # noqa: E402,F401 - registers the issue, comment and label routes
from tests.fakes import github_pulls as _pulls  # noqa: E402,F401 - registers the pull routes
