"""What a token may do on the fake GitHub, checked before any validation as GitHub does.

A workflow's `permissions:` (or a GitHub App installation's) decide which writes a token may make; anything else
is a 403 "Resource not accessible by integration" with the `X-Accepted-GitHub-Permissions` header naming what was
needed. The repository setting "Allow GitHub Actions to create and approve pull requests" (which an organisation
policy can lock off) refuses PR creation by an Actions token even with pull-requests: write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.fakes.github_server import ApiError

NOT_ACCESSIBLE = "Resource not accessible by integration"
ACTIONS_MAY_NOT_CREATE_PULLS = "GitHub Actions is not permitted to create or approve pull requests."
LABELS_NOT_CREATABLE = "You do not have permission to create labels on this repository."

# (method, path under /repos/{o}/{r}, permissions any one of which allows it, written as GitHub names them)
_WRITES: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = [
    (m, re.compile(p), need)
    for m, p, need in [
        ("POST", r"/git/.+", ("contents",)),
        ("PATCH", r"/git/refs/.+", ("contents",)),
        ("DELETE", r"/git/refs/.+", ("contents",)),
        ("PUT", r"/pulls/\d+/merge", ("contents",)),
        ("POST", r"/pulls", ("pull_requests",)),
        ("PATCH", r"/pulls/\d+", ("pull_requests",)),
        ("POST", r"/statuses/[0-9a-f]+", ("statuses",)),
        ("POST", r"/issues/\d+/(labels|comments)", ("issues", "pull_requests")),
        ("PATCH", r"/issues/comments/\d+", ("issues", "pull_requests")),
        ("DELETE", r"/issues/\d+/labels/.+", ("issues", "pull_requests")),
        ("POST", r"/labels", ("issues", "pull_requests")),
        ("POST", r"/dispatches", ("contents",)),
    ]
]


@dataclass
class TokenPolicy:
    """The write permissions of the fake's token (None: all, like an admin's classic token) and the PR setting."""

    writes: frozenset[str] | None = None
    actions_may_create_pulls: bool = True

    def check(self, method: str, rest: str) -> None:
        """Raise the 403 GitHub answers when the token may not make this request."""
        for verb, pattern, needs in _WRITES:
            if verb == method and pattern.fullmatch(rest):
                if self.writes is not None and not self.writes & set(needs):
                    accepted = ", ".join(f"{n}=write" for n in needs)
                    raise ApiError(403, NOT_ACCESSIBLE, headers={"X-Accepted-GitHub-Permissions": accepted})
                if verb == "POST" and rest == "/pulls" and not self.actions_may_create_pulls:
                    raise ApiError(403, ACTIONS_MAY_NOT_CREATE_PULLS)
                return

    def may_create_labels(self) -> bool:
        """Adding a label that does not exist yet to a PR creates it only with issues: write."""
        return self.writes is None or "issues" in self.writes
