"""Posting the sticky review comment: find ours by its marker, edit it in place, or create it once; the label.

PyGithub's GithubRetry retries a POST, so creating is preceded by a look-up (a retried run finds the comment
its first attempt made and edits it, never adding a second one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pipeline.github.client import ensure_label, github_errors, open_repository
from pipeline.review.comment import COMMENT_MARKER, IMPACT_LABEL
from pipeline.settings import Settings

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Repository import Repository

_LABEL_COLOR = "d93f0b"
_LABEL_DESCRIPTION = "Removes or changes content students already started or completed: needs a second review"


@dataclass(frozen=True)
class PostedComment:
    """What posting did: the comment created, updated or left as it was, and the impact label."""

    pr_number: int
    action: Literal["created", "updated", "unchanged"]
    url: str
    label: Literal["added", "removed", "kept", "none"]

    ok = True

    def lines(self) -> list[str]:
        label = {"added": f"; label {IMPACT_LABEL} added", "removed": f"; label {IMPACT_LABEL} removed"}
        return [f"review comment {self.action} on PR #{self.pr_number}: {self.url}{label.get(self.label, '')}"]


def find_review_comment(issue: Issue) -> IssueComment | None:
    """Our comment on the PR: the first one by a bot that carries the marker (every page of comments is read)."""
    for comment in issue.get_comments():
        if COMMENT_MARKER in (comment.body or "") and comment.user is not None and comment.user.type == "Bot":
            return comment
    return None


def post_review_comment(settings: Settings, pr_number: int, body: str, *, flag: bool | None) -> PostedComment:
    """Create or update the review comment on PR `pr_number`; `flag` True adds the label, False removes it."""
    repo = open_repository(settings)
    subject = f"{repo.full_name} PR #{pr_number}"
    with github_errors(settings, "read the pull request's comments", subject):
        issue = repo.get_issue(pr_number)
        existing = find_review_comment(issue)
    if existing is None:
        with github_errors(settings, "create the review comment", subject):
            comment = issue.create_comment(body)
        action: Literal["created", "updated", "unchanged"] = "created"
    elif existing.body == body:
        comment, action = existing, "unchanged"
    else:
        with github_errors(settings, "update the review comment", subject):
            existing.edit(body)
        comment, action = existing, "updated"
    return PostedComment(pr_number, action, comment.html_url, _set_label(settings, repo, issue, flag, subject))


def _set_label(
    settings: Settings, repo: Repository, issue: Issue, flag: bool | None, subject: str
) -> Literal["added", "removed", "kept", "none"]:
    if flag is None:
        return "none"  # impact unknown (not configured): leave the label as a reviewer may have set it
    with github_errors(settings, f"set the {IMPACT_LABEL} label", subject):
        present = any(label.name == IMPACT_LABEL for label in issue.get_labels())
        if flag and not present:
            ensure_label(repo, IMPACT_LABEL, _LABEL_COLOR, _LABEL_DESCRIPTION)
            issue.add_to_labels(IMPACT_LABEL)
            return "added"
        if not flag and present:
            issue.remove_from_labels(IMPACT_LABEL)
            return "removed"
    return "kept" if present else "none"
