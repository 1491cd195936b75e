"""`github check`: can GITHUB_TOKEN do what propose does — branches, pull requests, commit statuses, labels?

Each probe is a request GitHub refuses with 403 when the token lacks the permission, and otherwise with 422
because its body is deliberately invalid (a ref to a commit that does not exist, a PR from main into main, an
unknown status state): the permission is proven and nothing is created. Only the labels propose puts on each
PR are created when missing, since the token that labels PRs may not create them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from github import GithubException

from pipeline.errors import GitHubError
from pipeline.github.client import github_errors, open_repository
from pipeline.propose.proposal import LABELS
from pipeline.settings import Settings, redact

if TYPE_CHECKING:
    from github.Repository import Repository

Capability = Literal["repository", "branches", "pull requests", "commit statuses", "labels"]
NO_COMMIT = "0" * 40
LABEL_COLOUR = "0e8a16"
_APP = "GitHub App: Settings → Developer settings → GitHub Apps → your app → Permissions → Repository permissions"
# What to change, per permission, for each kind of token export.yml can use.
_FIX = {
    "contents": f"give the token Contents: Read and write ({_APP}; built-in token: `contents: write` in the job's "
    "permissions)",
    "pull_requests": f"give the token Pull requests: Read and write ({_APP}; built-in token: `pull-requests: write`)",
    "statuses": f"give the token Commit statuses: Read and write ({_APP}; built-in token: `statuses: write`)",
}
ACTIONS_PR_SETTING = (
    'turn on Settings → Actions → General → Workflow permissions → "Allow GitHub Actions to create and approve '
    'pull requests"; if it is greyed out, an organisation policy locks it: an organisation owner turns it on '
    "under the organisation's Settings → Actions → General (or use a GitHub App token, which it does not restrict)"
)


@dataclass(frozen=True)
class Finding:
    """One capability propose needs: whether the token has it, and what to change when it does not."""

    capability: Capability
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok    ' if self.ok else 'FAILED'} {self.capability}: {self.detail}"


@dataclass(frozen=True)
class AccessReport:
    """What `github check` found for GITHUB_REPOSITORY with GITHUB_TOKEN."""

    repository: str
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def lines(self) -> list[str]:
        failed = sum(not f.ok for f in self.findings)
        verdict = (
            "the token can do everything propose needs"
            if self.ok
            else f"{failed} problem(s); change the setting named on each FAILED line"
        )
        return [*(f.line() for f in self.findings), f"github check of {self.repository}: {verdict}"]


def check_github_access(settings: Settings) -> AccessReport:
    """Probe, without creating anything, each write propose makes with GITHUB_TOKEN in GITHUB_REPOSITORY."""
    name = settings.github_repository or ""
    try:
        repo = open_repository(settings)
        with github_errors(settings, "read the default branch", name):
            base = repo.default_branch
            head = repo.get_git_ref(f"heads/{base}").object.sha
    except GitHubError as error:
        return AccessReport(name, (Finding("repository", False, str(error)),))
    findings = [Finding("repository", True, f"{repo.full_name} is readable; {base} is at {head[:7]}")]
    findings.append(
        _probe(
            settings, "branches", "contents", lambda: repo.create_git_ref("refs/heads/notion/setup-check", NO_COMMIT)
        )
    )
    findings.append(_probe_pulls(settings, repo, base))
    findings.append(
        _probe(
            settings, "commit statuses", "statuses", lambda: repo.get_commit(head).create_status(state="setup-check")
        )
    )
    findings.append(_check_labels(settings, repo))
    return AccessReport(repo.full_name, tuple(findings))


def _probe(settings: Settings, capability: Capability, permission: str, attempt: Callable[[], object]) -> Finding:
    try:
        attempt()
    except GithubException as exc:
        if exc.status == 422:  # past the permission check, refused for the invalid body: allowed
            return Finding(capability, True, f"allowed ({permission.replace('_', '-')}: write)")
        return Finding(capability, False, _refusal(settings, exc, _FIX[permission]))
    return Finding(capability, True, f"allowed ({permission.replace('_', '-')}: write)")


def _probe_pulls(settings: Settings, repo: Repository, base: str) -> Finding:
    try:
        repo.create_pull(title="setup check (never created)", body="", base=base, head=base)
    except GithubException as exc:
        if exc.status == 422:
            return Finding("pull requests", True, "allowed (pull-requests: write, and Actions may open PRs)")
        message = str(exc.data.get("message") if isinstance(exc.data, dict) else exc.data)
        fix = ACTIONS_PR_SETTING if "not permitted to create" in message else _FIX["pull_requests"]
        return Finding("pull requests", False, _refusal(settings, exc, fix))
    return Finding("pull requests", True, "allowed")


def _check_labels(settings: Settings, repo: Repository) -> Finding:
    missing = []
    for label in LABELS:
        try:
            repo.get_label(label)
        except GithubException as exc:
            if exc.status != 404:
                return Finding("labels", False, _refusal(settings, exc, "check the token's repository access"))
            missing.append(label)
    if not missing:
        return Finding("labels", True, f"the labels {', '.join(LABELS)} exist")
    # Labelling a PR with a label that does not exist creates it only with issues: write, which export's token
    # lacks; creating it here needs issues or pull-requests: write. So the check makes them, once.
    for label in missing:
        try:
            repo.create_label(label, LABEL_COLOUR)
        except GithubException as exc:
            if exc.status == 422:  # made meanwhile
                continue
            fix = (
                f"create the label(s) {', '.join(missing)} once under Issues → Labels → New label, or give the token "
                "Pull requests or Issues: Read and write"
            )
            return Finding("labels", False, _refusal(settings, exc, fix))
    return Finding("labels", True, f"created the missing label(s) {', '.join(missing)} that propose puts on each PR")


def _refusal(settings: Settings, exc: GithubException, fix: str) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.data)
    return redact(f"GitHub answered HTTP {exc.status} {message!r}; {fix}", settings)
