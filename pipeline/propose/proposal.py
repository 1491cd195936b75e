"""Propose module files to GitHub: one branch `notion/<module_id>`, one commit and one PR per changed module.

Every step is safe to repeat (GithubRetry retries POSTs, and runs get interrupted): refs and PRs are looked up
before they are created, a 422 "already exists" counts as found, and a branch whose tree already holds the
wanted files gets no new commit.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from github import GithubException

from pipeline.errors import GitHubError
from pipeline.github.client import (
    ensure_label,
    git_blob_sha,
    github_errors,
    is_already_exists,
    open_repository,
)
from pipeline.module.assets import asset_path, referenced_assets
from pipeline.module.canonical import dump_module
from pipeline.module.document import ModuleLoadError, is_valid_id, load_module
from pipeline.module.problems import Problem, display_path
from pipeline.notion.ids import NOTION_WEB_ROOT, notion_page_url
from pipeline.propose.commit import MainSnapshot, commit_to_branch, read_main
from pipeline.propose.pr_body import (
    STATUS_CONTEXT,
    keep_export_notes,
    pr_title,
    render_pr_body,
    reviewer_problem,
    status_description,
)
from pipeline.settings import Settings
from pipeline.validate.rules import collect_module_files, validate_paths

# closed: an outdated PR (its module now equals main) was closed
ProposalAction = Literal["created", "updated", "unchanged", "closed", "failed"]

if TYPE_CHECKING:
    from github.PullRequest import PullRequest
    from github.Repository import Repository

log = logging.getLogger(__name__)

REPO_MODULES_DIR = "data/modules"  # the repository layout, whatever MODULES_DIR is locally
REPO_ASSETS_DIR = "data/assets"
LABELS = ("module", "from-notion")
LABEL_COLOR = "0e8a16"
LABEL_DESCRIPTIONS = {"module": "A module file of the module library", "from-notion": "Exported from Notion"}


@dataclass(frozen=True)
class ProposalResult:
    """What propose did for one module file."""

    module_id: str
    notion_page_id: str | None
    branch: str
    pr_number: int | None
    pr_url: str | None
    action: ProposalAction
    problems: tuple[str, ...] = ()  # validation problems (the PR is opened anyway, with a failing status)
    message: str = ""

    def line(self) -> str:
        """One line for the terminal."""
        where = f"PR #{self.pr_number} {self.pr_url}" if self.pr_number else self.branch
        note = f" — {len(self.problems)} validation problem(s)" if self.problems else ""
        text = f"{self.action:<9} {self.module_id}: {where}{note}"
        return f"{text} — {self.message}" if self.message else text


@dataclass(frozen=True)
class ProposeReport:
    """The results of one propose run, one per module file."""

    results: tuple[ProposalResult, ...]

    @property
    def ok(self) -> bool:
        return not any(r.action == "failed" for r in self.results)

    def summary(self) -> str:
        actions = ("created", "updated", "unchanged", "closed", "failed")
        counts = {a: sum(r.action == a for r in self.results) for a in actions}
        return ", ".join(f"{n} {a}" for a, n in counts.items() if n) or "no module files"


def propose_modules(
    paths: Sequence[Path] | None,
    settings: Settings,
    *,
    notion_base_url: str | None = None,
    export_notes: Mapping[str, Sequence[str]] | None = None,
) -> ProposeReport:
    """Propose every module file in `paths` (default: MODULES_DIR); one failed module does not stop the others.

    `export_notes` maps a module id to what this run's export left out or changed on its page (listed in the
    PR body); a module not in it was not read from Notion this time, and its PR keeps the notes it had.
    """
    files = collect_module_files(paths or [settings.modules_dir])
    repo = open_repository(settings)
    main = read_main(repo, settings)
    report = validate_paths(files, settings) if files else None
    results = []
    for path in files:
        shown = display_path(path)
        problems = [p for p in (report.problems if report else ()) if p.path == shown and p.severity == "error"]
        notes = (export_notes or {}).get(path.stem)
        results.append(_propose_safely(repo, path, settings, main, problems, notion_base_url, notes))
    return ProposeReport(tuple(results))


def _propose_safely(
    repo: Repository,
    path: Path,
    settings: Settings,
    main: MainSnapshot,
    problems: list[Problem],
    notion_base_url: str | None,
    export_notes: Sequence[str] | None,
) -> ProposalResult:
    try:
        return propose_module_file(
            repo,
            path,
            settings=settings,
            main=main,
            problems=problems,
            notion_base_url=notion_base_url,
            export_notes=export_notes,
        )
    except ModuleLoadError as exc:
        return ProposalResult(
            path.stem,
            None,
            f"notion/{path.stem}",
            None,
            None,
            "failed",
            (str(exc.problem),),
            f"the file cannot be read as a module ({exc.problem}); fix it and run again",
        )
    except GitHubError as exc:
        log.info("propose %s failed: %s", path, exc)
        page_id = load_module(path).data.get("notion_page_id")  # it loaded a moment ago
        return ProposalResult(
            path.stem,
            page_id if isinstance(page_id, str) else None,
            f"notion/{path.stem}",
            None,
            None,
            "failed",
            tuple(str(p) for p in problems),
            str(exc),
        )


def propose_module_file(
    repo: Repository,
    path: Path,
    *,
    settings: Settings | None = None,
    branch: str | None = None,
    reason: str | None = None,
    base: str = "main",
    main: MainSnapshot | None = None,
    problems: Sequence[Problem] | None = None,
    notion_base_url: str | None = None,
    export_notes: Sequence[str] | None = None,
) -> ProposalResult:
    """Open or update the PR proposing `path` (branch `notion/<id>` unless given; `reason` goes in the body).

    `export_notes`: what the export left out or changed on the Notion page; None keeps the open PR's notes.
    """
    settings = settings or Settings.from_env()
    doc = load_module(path)
    data = doc.data
    module_id = doc.module_id or path.stem
    if not is_valid_id(module_id):
        # it becomes a branch name and a path in the commit: never let an odd one through
        raise ModuleLoadError(
            doc.problem(
                "/module_id",
                f"module_id {module_id!r} is not lowercase-words-with-hyphens "
                "(at most 64 characters); fix it in Notion and re-export",
            )
        )
    branch = branch or f"notion/{module_id}"
    main = main or read_main(repo, settings, base)
    if problems is None:
        problems = [p for p in validate_paths([path], settings).problems if p.severity == "error"]
    shown = [reviewer_problem(p, data) for p in problems]
    page_id = data.get("notion_page_id") if isinstance(data.get("notion_page_id"), str) else None

    def result(action: ProposalAction, pr: PullRequest | None = None, message: str = "") -> ProposalResult:
        return ProposalResult(
            module_id,
            page_id,
            branch,
            pr.number if pr else None,
            pr.html_url if pr else None,
            action,
            tuple(shown),
            message,
        )

    files = _module_files(data, module_id, settings)
    changes = {p: b for p, b in files.items() if main.files.get(p, ("", ""))[1] != git_blob_sha(b)}
    module_path = f"{REPO_MODULES_DIR}/{module_id}.json"
    subject = f"module {module_id}, branch {branch}"
    if module_path not in changes:
        stale = _close_outdated_pr(repo, settings, branch, base, subject) if branch in main.open_heads else None
        if stale is not None:
            return result("closed", stale, f"the module now equals {base}; its outdated PR was closed")
        return result("unchanged", message=f"identical to {base}")
    old = _read_main_module(repo, settings, main, module_path)
    head_sha, committed = commit_to_branch(repo, settings, main, branch, files, changes, data, reason, subject)
    title = pr_title(data)
    notion_url = notion_page_url(page_id, notion_base_url or NOTION_WEB_ROOT) if page_id else None
    body = render_pr_body(old, data, shown, notion_url=notion_url, reason=reason, export_notes=export_notes or ())
    pr, opened, edited = _open_or_update_pr(
        repo, settings, branch, base, title, body, subject, keep_notes=export_notes is None
    )
    # The status first: branch protection waits for it, while labels are only for finding PRs.
    with github_errors(settings, "set the commit status", f"{subject}, PR #{pr.number}"):
        _set_status(repo, head_sha, shown, settings.run_url or pr.html_url)
    labelled = _label(repo, settings, pr, LABELS if branch.startswith("notion/") else LABELS[:1], subject)
    if opened:
        return result("created", pr, labelled)
    return result(
        "updated" if committed or edited else "unchanged",
        pr,
        labelled or ("" if committed or edited else "the open PR already holds this content"),
    )


def _module_files(data: Mapping[str, Any], module_id: str, settings: Settings) -> dict[str, bytes]:
    """Repository path -> bytes for the module file (canonical) and the assets it refers to."""
    wanted = {f"{REPO_MODULES_DIR}/{module_id}.json": dump_module(data).encode("utf-8")}
    assets_dir = settings.resolved_assets_dir  # the same folder validate checks
    for url in sorted(referenced_assets(data)):
        local = asset_path(url, assets_dir)
        if local is not None and local.is_file():  # a missing asset is a validation problem, reported in the body
            wanted[f"{REPO_ASSETS_DIR}/{PurePosixPath(url).relative_to('/assets')}"] = local.read_bytes()
    return wanted


def _read_main_module(repo: Repository, settings: Settings, main: MainSnapshot, module_path: str) -> dict | None:
    entry = main.files.get(module_path)
    if entry is None:
        return None
    with github_errors(settings, "read the module file on main", module_path):
        content = repo.get_git_blob(entry[1]).content
    try:
        old = json.loads(base64.b64decode(content))
    except ValueError:
        return None  # main's copy is broken JSON: show the module as new rather than fail
    return old if isinstance(old, dict) else None


def _open_or_update_pr(
    repo: Repository,
    settings: Settings,
    branch: str,
    base: str,
    title: str,
    body: str,
    subject: str,
    *,
    keep_notes: bool = False,
) -> tuple[PullRequest, bool, bool]:
    """The open PR for `branch`, created or edited; (pr, created, edited)."""
    head = f"{repo.full_name.split('/')[0]}:{branch}"
    created = False
    with github_errors(settings, "open the pull request", subject):
        pr = _find_open_pr(repo, head, base)
        if pr is None:
            try:
                return repo.create_pull(base=base, head=branch, title=title, body=body), True, False
            except GithubException as exc:
                # a retried POST whose first try had succeeded (or a parallel run): use that PR
                if not is_already_exists(exc) or (pr := _find_open_pr(repo, head, base)) is None:
                    raise
                created = True
    if keep_notes:
        body = keep_export_notes(body, pr.body)
    with github_errors(settings, "update the pull request", f"{subject}, PR #{pr.number}"):
        if pr.title == title and (pr.body or "") == body:
            return pr, created, False
        pr.edit(title=title, body=body)
    return pr, created, True


def _close_outdated_pr(
    repo: Repository, settings: Settings, branch: str, base: str, subject: str
) -> PullRequest | None:
    """Close the open PR of a module whose file now equals main's: merging it would bring back old content."""
    with github_errors(settings, "close the outdated pull request", subject):
        pr = _find_open_pr(repo, f"{repo.full_name.split('/')[0]}:{branch}", base)
        if pr is not None:
            pr.create_issue_comment(
                f"Closed by the module pipeline: the exported module now equals `{base}`, "
                "so this PR would only bring back older content."
            )
            pr.edit(state="closed")
    return pr


def _find_open_pr(repo: Repository, head: str, base: str) -> PullRequest | None:
    return next(iter(repo.get_pulls(state="open", head=head, base=base)), None)


def _label(repo: Repository, settings: Settings, pr: PullRequest, wanted: Sequence[str], subject: str) -> str:
    """Add the labels the PR lacks, creating missing ones first (that needs Pull requests: write, which the
    workflow grants; adding an unknown label would need Issues: write). A failure is reported, never fatal."""
    missing = [label for label in wanted if label not in {existing.name for existing in pr.labels}]
    if not missing:
        return ""
    try:
        with github_errors(settings, "label the pull request", f"{subject}, PR #{pr.number}"):
            for name in missing:
                ensure_label(repo, name, LABEL_COLOR, LABEL_DESCRIPTIONS.get(name, ""))
            pr.add_to_labels(*missing)
    except GitHubError as exc:
        log.warning("%s", exc)
        return f"the PR is open and its status set, but not labelled {', '.join(missing)}: {exc}"
    return ""


def _set_status(repo: Repository, sha: str, problems: Sequence[str], target_url: str) -> None:
    """Set `modules/validate` on the head commit unless it already says the same (PRs by GITHUB_TOKEN run no CI).

    `target_url` is the Actions run that set it (its log has the whole export), or the PR outside Actions.
    """
    state, description = ("failure" if problems else "success"), status_description(problems)
    commit = repo.get_commit(sha)
    current = {s.context: s for s in commit.get_combined_status().statuses}.get(STATUS_CONTEXT)
    if current is None or (current.state, current.description) != (state, description):
        commit.create_status(state, target_url=target_url, description=description, context=STATUS_CONTEXT)
