"""The GitHub client: PyGithub configured from settings, and GitHub's failures translated into GitHubError."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
from github import Auth, Github, GithubException, GithubRetry

from pipeline.errors import GitHubError
from pipeline.settings import Settings, redact

if TYPE_CHECKING:
    from github.Repository import Repository


def github_client(settings: Settings) -> Github:
    """A PyGithub client for GITHUB_API_URL with GithubRetry and the configured pacing."""
    settings.require("github_token")
    retry = GithubRetry(
        total=settings.github_retries,
        backoff_factor=settings.github_backoff_factor,
        secondary_rate_wait=settings.github_rate_limit_wait,
    )
    base_url = settings.http_url("github_api_url", "https://api.github.com")
    return Github(
        auth=Auth.Token(settings.github_token or ""),
        base_url=base_url,
        retry=retry,
        seconds_between_requests=settings.github_seconds_between_requests,
        seconds_between_writes=settings.github_seconds_between_writes,
    )


def open_repository(settings: Settings) -> Repository:
    """The GITHUB_REPOSITORY repository; GitHubError (exit 2) when the token or the name is wrong."""
    settings.require("github_token", "github_repository")
    with github_errors(settings, "open the repository", settings.github_repository or ""):
        return github_client(settings).get_repo(settings.github_repository or "")


def _advice(status: int | None, message: str, operation: str, subject: str) -> tuple[str, int]:
    lowered = message.lower()
    if status == 401:
        return "GITHUB_TOKEN is invalid or expired; set a valid token", 2
    if status == 404 and operation == "open the repository":
        return (
            "no such repository, or the token cannot see it; check GITHUB_REPOSITORY (owner/name) "
            "and the token's repository access"
        ), 2
    if status in (403, 429) and "rate limit" in lowered:
        return "GitHub rate-limited this token; run the command again later (it is safe to repeat)", 1
    if status == 403 and "create labels" in lowered:
        return (
            "the labels propose puts on each PR do not exist and this token may not create them; run "
            "`python -m pipeline github check` (Actions → setup-check), which creates them, or add them under "
            "Issues → Labels"
        ), 1
    if status == 403:
        return (
            "the token lacks a permission; give it contents, pull-requests and statuses: write "
            "(and allow GitHub Actions to create pull requests)"
        ), 1
    if status is None:  # no answer at all: an outage, or a GITHUB_API_URL that points nowhere
        return (
            "GitHub could not be reached; check the network and GITHUB_API_URL (unset, it means "
            "https://api.github.com), then run the command again (it is safe to repeat)"
        ), 1
    if status >= 500:
        return "GitHub failed; run the command again (it is safe to repeat)", 1
    return f"GitHub refused to {operation} for {subject}; fix the cause above and run again", 1


def _describe(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or "")
    details = [
        e.get("message") or f"{e.get('field')} {e.get('code')}" for e in data.get("errors") or [] if isinstance(e, dict)
    ]
    return "; ".join([message, *details]) if details else message


@contextmanager
def github_errors(settings: Settings, operation: str, subject: str) -> Iterator[None]:
    """Turn PyGithub/requests failures inside the block into GitHubError naming `operation` and `subject`."""
    try:
        yield
    except GithubException as exc:
        described = _describe(exc)
        advice, exit_code = _advice(exc.status, described, operation, subject)
        message = f"GitHub could not {operation} ({subject}): HTTP {exc.status} {described}. {advice}"
        raise GitHubError(redact(message, settings), exc.status, exit_code) from None
    except requests.RequestException as exc:
        described, status = _describe_transport(exc, settings)
        advice, exit_code = _advice(status, "rate limit" if status == 403 else "", operation, subject)
        message = f"GitHub could not {operation} ({subject}): {described}. {advice}"
        raise GitHubError(redact(message, settings), status, exit_code) from None


def _describe_transport(exc: requests.RequestException, settings: Settings) -> tuple[str, int | None]:
    """A short account of a failure below the HTTP answer (retries used up, connection lost)."""
    cause = exc.args[0] if exc.args else None
    reason, url = getattr(cause, "reason", None), getattr(cause, "url", None)
    if reason is None:
        return f"{type(exc).__name__}: {exc}", None
    text = str(reason.args[0]) if getattr(reason, "args", None) else str(reason)
    if "RemoteDisconnected" in repr(reason) or "Connection aborted" in text:
        text = "the connection was closed without an answer"
    status = next((code for code in (403, 429, 500, 502, 503, 504) if f"too many {code} " in text), None)
    return f"{text} after {settings.github_retries} retries (request {url})", status


def is_already_exists(exc: GithubException) -> bool:
    """True for GitHub's 422 "Reference already exists" / "A pull request already exists for …" / a label's
    `already_exists` error code."""
    return exc.status == 422 and ("already exists" in str(exc.data) or "already_exists" in str(exc.data))


def git_blob_sha(data: bytes) -> str:
    """The sha git (and GitHub) gives a blob holding `data`."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def git_tree_sha(files: dict[str, tuple[str, str]]) -> str:
    """The root tree sha git computes for `files` (path -> (mode, blob sha)), without uploading anything."""
    here: list[tuple[str, str, str]] = []  # (sort key, mode, name + sha)
    children: dict[str, dict[str, tuple[str, str]]] = {}
    for path, entry in files.items():
        head, sep, rest = path.partition("/")
        if sep:
            children.setdefault(head, {})[rest] = entry
        else:
            here.append((head, entry[0].lstrip("0"), head + "\0" + entry[1]))
    for name, sub in children.items():
        here.append((name + "/", "40000", name + "\0" + git_tree_sha(sub)))
    payload = b"".join(
        f"{mode} ".encode() + named.split("\0")[0].encode() + b"\0" + bytes.fromhex(named.split("\0")[1])
        for _, mode, named in sorted(here, key=lambda item: item[0].encode())
    )
    return hashlib.sha1(b"tree %d\0" % len(payload) + payload).hexdigest()


def ensure_label(repo: Any, name: str, color: str, description: str = "") -> None:
    """Create the repository label `name` unless it exists. `POST /labels` needs Issues or Pull requests: write;
    adding a label that does not exist yet to a PR would need Issues: write, which no workflow grants."""
    try:
        repo.get_label(name)
    except GithubException as exc:
        if exc.status != 404:
            raise
        try:
            repo.create_label(name, color, description)
        except GithubException as created:
            if not is_already_exists(created):  # a parallel run made it first
                raise
