"""A fake GitHub REST API on 127.0.0.1 for PyGithub: git data, contents, pulls, statuses, labels, faults, a log.

Shapes follow PyGithub's recordings of api.github.com (tests/data/github/, SOURCES.md there) and the public
REST reference. State lives in memory; every absolute URL uses the server's own host, as PyGithub requires.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.github_git import BLOB_MODE, GitStore, TreeEntry

DOCS = "https://docs.github.com/rest"
SECONDARY_RATE_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID 0000:FAKE."
)
BOT = {"login": "frames-bot", "id": 41898282, "type": "Bot"}


class ApiError(Exception):
    """An error answer: status, GitHub's JSON body, extra headers."""

    def __init__(self, status: int, message: str, errors: list | None = None, headers: dict | None = None) -> None:
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": DOCS, "status": str(status)}
        if errors is not None:
            self.body["errors"] = errors
        self.headers = headers or {}
        super().__init__(message)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LoggedRequest:
    """One request the fake answered (or dropped): method, path, query, JSON body, status (0 = dropped)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int

    @property
    def is_write(self) -> bool:
        return self.method in ("POST", "PATCH", "PUT", "DELETE")


@dataclass
class Fault:
    """The next `count` requests matching `method` and the path regex fail as `kind`."""

    method: str
    path: str
    count: int
    kind: str  # "500" | "502" | "secondary-rate-limit" | "drop" (before handling) | "drop-after" (after)
    retry_after: int = 0


@dataclass
class Repo:
    """One repository: git objects and refs, pulls, statuses, labels, comments, dispatches."""

    owner: str
    name: str
    git: GitStore = field(default_factory=GitStore)
    default_branch: str = "main"
    pulls: dict[int, dict] = field(default_factory=dict)
    statuses: dict[str, list[dict]] = field(default_factory=dict)
    labels: dict[int, list[str]] = field(default_factory=dict)
    comments: dict[int, list[dict]] = field(default_factory=dict)
    dispatches: list[dict] = field(default_factory=list)
    defined_labels: set[str] = field(default_factory=set)  # the repository's labels (Issues → Labels)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class FakeGitHub:
    """The server and its state; `start()` returns the base URL to give PyGithub."""

    def __init__(self, token: str = "ghs_fakeTokenForTests0123456789") -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.faults: list[Fault] = []
        self.log: list[LoggedRequest] = []
        self.lock = threading.RLock()
        self.policy = _new_policy()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""
        self._ids = 1000

    # ---- lifecycle and test helpers ----------------------------------------------------------------
    def start(self) -> str:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.repos.clear()
            self.faults.clear()
            self.log.clear()
            self.policy = _new_policy()

    def create_repo(self, full_name: str, files_root: Path | None = None, prefix: str = "data/") -> Repo:
        """A repository whose `main` holds the files under `files_root` at `prefix` (or an empty tree)."""
        owner, name = full_name.split("/")
        repo = Repo(owner, name)
        signature = {"name": "Seed", "email": "seed@example.org", "date": "2025-01-01T00:00:00Z"}
        if files_root is not None:
            sha = repo.git.seed_directory(files_root, prefix, "Seed repository", signature)
        else:
            sha = repo.git.put_commit(repo.git.put_tree([]), [], "Initial commit", signature, signature)
        repo.git.refs["refs/heads/main"] = sha
        self.repos[full_name] = repo
        return repo

    def inject(self, method: str, path: str, count: int, kind: str, retry_after: int = 0) -> None:
        """Make the next `count` `method` requests whose path matches regex `path` fail as `kind`."""
        self.faults.append(Fault(method.upper(), path, count, kind, retry_after))

    def writes(self) -> list[LoggedRequest]:
        return [r for r in self.log if r.is_write]

    # ---- URL and JSON shapes -----------------------------------------------------------------------
    def api(self, repo: Repo, suffix: str = "") -> str:
        return f"{self.base_url}/repos/{repo.full_name}{suffix}"

    def next_id(self) -> int:
        self._ids += 1
        return self._ids

    def user(self, login: str) -> dict:
        return {
            "login": login,
            "id": 1,
            "type": "User",
            "url": f"{self.base_url}/users/{login}",
            "html_url": f"{self.base_url}/{login}",
        }

    def repo_json(self, repo: Repo) -> dict:
        return {
            "id": 1296269,
            "node_id": "R_fake",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": True,
            "owner": self.user(repo.owner),
            "html_url": f"{self.base_url}/{repo.full_name}",
            "url": self.api(repo),
            "default_branch": repo.default_branch,
            "pulls_url": self.api(repo, "/pulls{/number}"),
            "permissions": {"admin": False, "push": True},
        }

    def ref_json(self, repo: Repo, name: str) -> dict:
        sha = repo.git.refs[name]
        return {
            "ref": name,
            "node_id": "REF_fake",
            "url": self.api(repo, f"/git/{name}"),
            "object": {"type": "commit", "sha": sha, "url": self.api(repo, f"/git/commits/{sha}")},
        }

    def commit_json(self, repo: Repo, sha: str) -> dict:
        c = repo.git.commits[sha]
        return {
            "sha": sha,
            "node_id": "C_fake",
            "url": self.api(repo, f"/git/commits/{sha}"),
            "html_url": f"{self.base_url}/{repo.full_name}/commit/{sha}",
            "author": c.author,
            "committer": c.committer,
            "message": c.message,
            "tree": {"sha": c.tree, "url": self.api(repo, f"/git/trees/{c.tree}")},
            "parents": [{"sha": p, "url": self.api(repo, f"/git/commits/{p}")} for p in c.parents],
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
        }

    def tree_json(self, repo: Repo, sha: str, recursive: bool) -> dict:
        if recursive:
            entries = [(p, e) for p, e in repo.git.flatten(sha).items()]
        else:
            entries = [(e.name, e) for e in repo.git.trees[sha]]
        return {
            "sha": sha,
            "url": self.api(repo, f"/git/trees/{sha}"),
            "truncated": False,
            "tree": [
                {
                    "path": path,
                    "mode": e.mode,
                    "type": e.type,
                    "sha": e.sha,
                    **({"size": len(repo.git.blobs[e.sha])} if e.type == "blob" else {}),
                    "url": self.api(repo, f"/git/{e.type}s/{e.sha}"),
                }
                for path, e in entries
            ],
        }

    def pull_json(self, repo: Repo, pr: dict, *, listed: bool = False) -> dict:
        """A pull request as `GET /pulls/{n}` shows it; `listed`: the short form of list answers (`GET /pulls`,
        `GET /commits/{sha}/pulls`), which has no `merged`, `mergeable`, `merged_by` or counts."""
        number = pr["number"]
        head_sha = self.pull_head_sha(repo, pr)
        base_sha = repo.git.refs.get(f"refs/heads/{pr['base']}", "")
        short = {
            "url": self.api(repo, f"/pulls/{number}"),
            "id": pr["id"],
            "node_id": f"PR_fake{number}",
            "html_url": f"{self.base_url}/{repo.full_name}/pull/{number}",
            "diff_url": f"{self.base_url}/{repo.full_name}/pull/{number}.diff",
            "issue_url": self.api(repo, f"/issues/{number}"),
            "number": number,
            "state": pr["state"],
            "locked": False,
            "title": pr["title"],
            "user": BOT,
            "body": pr["body"],
            "labels": [self.label_json(repo, name) for name in repo.labels.get(number, [])],
            "created_at": pr["created_at"],
            "updated_at": pr["updated_at"],
            "closed_at": pr["closed_at"],
            "merged_at": pr["merged_at"],
            "merge_commit_sha": pr["merge_commit_sha"],
            "draft": False,
            "commits_url": self.api(repo, f"/pulls/{number}/commits"),
            "statuses_url": self.api(repo, f"/statuses/{head_sha}"),
            "head": {
                "label": f"{repo.owner}:{pr['head']}",
                "ref": pr["head"],
                "sha": head_sha,
                "user": self.user(repo.owner),
                "repo": self.repo_json(repo),
            },
            "base": {
                "label": f"{repo.owner}:{pr['base']}",
                "ref": pr["base"],
                "sha": base_sha,
                "user": self.user(repo.owner),
                "repo": self.repo_json(repo),
            },
        }
        if listed:
            return short
        return {
            **short,
            "merged": pr["merged"],
            "mergeable": None if pr["merged"] else True,
            "merged_by": BOT if pr["merged"] else None,
            "comments": len(repo.comments.get(number, [])),
            "commits": 1,
            "maintainer_can_modify": False,
        }

    def pull_head_sha(self, repo: Repo, pr: dict) -> str:
        # an open PR follows its branch; a merged or closed one keeps the head it had
        if pr["state"] != "open":
            return pr["head_sha"]
        return repo.git.refs.get(f"refs/heads/{pr['head']}", pr["head_sha"])

    def restrict_token(self, *writes: str, actions_may_create_pulls: bool = True) -> None:
        """Give the token only these write permissions (GitHub's names: contents, pull_requests, statuses,
        issues), like a workflow's `permissions:`; and set "Allow GitHub Actions to create … pull requests"."""
        self.policy = _new_policy(frozenset(writes), actions_may_create_pulls)

    def label_json(self, repo: Repo, name: str) -> dict:
        return {
            "id": abs(hash(name)) % 10**9,
            "node_id": "LA_fake",
            "url": self.api(repo, f"/labels/{name}"),
            "name": name,
            "color": "ededed",
            "default": False,
            "description": None,
        }

    def status_json(self, repo: Repo, status: dict) -> dict:
        return {**status, "url": self.api(repo, f"/statuses/{status['sha']}"), "creator": BOT}

    # ---- dispatch ----------------------------------------------------------------------------------
    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.method == method and re.search(fault.path, path):
                    fault.count -= 1
                    return fault
        return None

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, auth: str) -> tuple[int, Any, dict]:
        from tests.fakes.github_routes import route

        if auth.split(" ", 1)[-1] != self.token:
            raise ApiError(401, "Bad credentials")
        with self.lock:
            return route(self, method, path, query, body)


def _new_policy(writes: frozenset[str] | None = None, actions_may_create_pulls: bool = True) -> Any:
    from tests.fakes.github_permissions import TokenPolicy

    return TokenPolicy(writes, actions_may_create_pulls)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGitHub
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, delayed ACKs cost ~40 ms per request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fake = self.fake
        log = fake.log  # this test's log, even if the next test resets the fake before the answer is sent
        fault = fake.take_fault(self.command, path)
        if fault and fault.kind == "drop":
            log.append(LoggedRequest(self.command, path, query, body, 0))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        headers: dict[str, str] = {}
        try:
            if fault and fault.kind == "secondary-rate-limit":
                raise ApiError(403, SECONDARY_RATE_LIMIT, headers={"Retry-After": str(fault.retry_after)})
            if fault and fault.kind in ("500", "502"):
                raise ApiError(int(fault.kind), "Server Error" if fault.kind == "500" else "Bad Gateway")
            status, payload, headers = fake.handle(
                self.command, path, query, body, self.headers.get("Authorization", "")
            )
        except ApiError as exc:
            status, payload, headers = exc.status, exc.body, exc.headers
        if fault and fault.kind == "drop-after":  # the request took effect, its answer is lost
            log.append(LoggedRequest(self.command, path, query, body, 0))
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        log.append(LoggedRequest(self.command, path, query, body, status))
        data = b"" if status == 204 or payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


def content_json(fake: FakeGitHub, repo: Repo, path: str, ref: str, blob_sha: str) -> dict:
    """A contents-API file answer (base64 in 60-character lines, like GitHub)."""
    data = repo.git.blobs[blob_sha]
    encoded = base64.b64encode(data).decode()
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n",
        "sha": blob_sha,
        "url": fake.api(repo, f"/contents/{path}?ref={ref}"),
        "git_url": fake.api(repo, f"/git/blobs/{blob_sha}"),
        "html_url": f"{fake.base_url}/{repo.full_name}/blob/{ref}/{path}",
        "download_url": f"{fake.base_url}/raw/{repo.full_name}/{ref}/{path}",
    }


def new_blob_entry(git: GitStore, content: str | bytes) -> TreeEntry:
    data = content.encode() if isinstance(content, str) else content
    return TreeEntry("", BLOB_MODE, "blob", git.put_blob(data))
