"""What the `github_fake` fixture hands a test: the running fake, a seeded repository and helpers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.settings import Settings
from tests.fakes.github_git import BLOB_MODE, TreeEntry
from tests.fakes.github_server import FakeGitHub, LoggedRequest, Repo

REPO_NAME = "owner/frames"


@dataclass
class GitHubFake:
    """The fake GitHub with `owner/frames` seeded; helpers read its state the way a reviewer would see it."""

    server: FakeGitHub
    repo_name: str = REPO_NAME

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def token(self) -> str:
        return self.server.token

    @property
    def repo(self) -> Repo:
        return self.server.repos[self.repo_name]

    @property
    def log(self) -> list[LoggedRequest]:
        return self.server.log

    def settings(self, **overrides: Any) -> Settings:
        """Settings pointing at the fake: fast retries, no pacing; `overrides` win (e.g. modules_dir)."""
        values: dict[str, Any] = {
            "github_token": self.token,
            "github_repository": self.repo_name,
            "github_api_url": self.base_url,
            "github_retries": 2,
            "github_backoff_factor": 0.0,
            "github_rate_limit_wait": 0.0,
            "github_seconds_between_requests": 0.0,
            "github_seconds_between_writes": 0.0,
        }
        return Settings(**{**values, **overrides})

    def env(self) -> dict[str, str]:
        """The same as environment variables, for tests that run the command line."""
        return {
            "GITHUB_TOKEN": self.token,
            "GITHUB_REPOSITORY": self.repo_name,
            "GITHUB_API_URL": self.base_url,
            "PIPELINE_GITHUB_RETRIES": "2",
            "PIPELINE_GITHUB_BACKOFF_FACTOR": "0",
            "PIPELINE_GITHUB_RATE_LIMIT_WAIT": "0",
            "PIPELINE_GITHUB_SECONDS_BETWEEN_REQUESTS": "0",
            "PIPELINE_GITHUB_SECONDS_BETWEEN_WRITES": "0",
        }

    def seed(self, data_dir: Path) -> None:
        """Replace the repository with one whose `main` holds `data_dir` as data/."""
        self.server.repos.pop(self.repo_name, None)
        self.server.create_repo(self.repo_name, data_dir, "data/")

    def head(self, branch: str = "main") -> str | None:
        return self.repo.git.refs.get(f"refs/heads/{branch}")

    def read_file(self, path: str, ref: str = "main") -> bytes | None:
        """A file's bytes on a branch (or at a commit sha), None when absent."""
        sha = self.head(ref) or ref
        return self.repo.git.file_at(sha, path) if sha in self.repo.git.commits else None

    def checkout(self, dest: Path, ref: str = "main") -> Path:
        """Write every file of `ref` under `dest` (like a checkout, e.g. for deploy after a merge); returns dest."""
        git = self.repo.git
        sha = self.head(ref) or ref
        for path, entry in git.flatten(git.commits[sha].tree).items():
            target = dest / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(git.blobs[entry.sha])
        return dest

    def pulls(self, state: str = "all") -> list[dict]:
        """Pull requests as the REST API shows them."""
        return [
            self.server.pull_json(self.repo, pr)
            for pr in self.repo.pulls.values()
            if state == "all" or pr["state"] == state
        ]

    def labels(self, number: int) -> list[str]:
        return list(self.repo.labels.get(number, []))

    def statuses(self, sha: str) -> list[dict]:
        return list(self.repo.statuses.get(sha, []))

    def commit_file(self, path: str, content: bytes, branch: str = "main", message: str = "Edit in GitHub") -> str:
        """Commit one file straight onto a branch, as an edit in GitHub's web editor would; returns the commit."""
        git = self.repo.git
        parent = git.refs[f"refs/heads/{branch}"]
        files = git.flatten(git.commits[parent].tree)
        files[path] = TreeEntry("", BLOB_MODE, "blob", git.put_blob(content))
        signature = {"name": "Reviewer", "email": "reviewer@example.org", "date": "2025-06-01T12:00:00Z"}
        sha = git.put_commit(git.build_tree(files), [parent], message, signature, signature)
        git.refs[f"refs/heads/{branch}"] = sha
        return sha

    def merge(self, number: int) -> str:
        """Merge a PR as a reviewer would (a merge commit on its base); returns the merge commit sha."""
        status, body, _ = self.server.handle(
            "PUT", f"/repos/{self.repo_name}/pulls/{number}/merge", {}, {}, f"token {self.token}"
        )
        assert status == 200, body
        return body["sha"]

    def writes(self) -> list[LoggedRequest]:
        return self.server.writes()

    def requests(self, method: str, path_suffix: str) -> list[LoggedRequest]:
        """Logged requests with this method whose path ends with `path_suffix`."""
        return [r for r in self.log if r.method == method and r.path.endswith(path_suffix)]
