"""Writeback: drain the deploy outbox into Notion — Status = Live, the merged PR's link, Last Updated.

It writes those three properties and nothing else (never student data). A task is marked done only after
Notion accepted the update; a failure stays queued, with its error, for the next run — except when the page is
gone (404 object_not_found), which no rerun can fix: that task is closed and reported once, with how to clear it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from github import GithubException
from sqlalchemy import Engine

from pipeline.db.engine import connect, database_errors
from pipeline.db.outbox import (
    WritebackTask,
    close_writeback_gone,
    mark_writeback_done,
    pending_writebacks,
    record_writeback_failure,
    reopen_gone_writebacks,
    retired_modules,
)
from pipeline.errors import GitHubError, NotionError
from pipeline.github.client import github_errors, open_repository
from pipeline.notion.client import NotionGateway
from pipeline.notion.page_updates import live_properties
from pipeline.settings import Settings, redact

TaskOutcome = Literal["written", "superseded", "no page", "page gone", "failed"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WritebackOutcome:
    """What became of one outbox task."""

    task: WritebackTask
    outcome: TaskOutcome
    pr_url: str | None = None
    message: str = ""

    def line(self) -> str:
        """One line for the terminal."""
        where = f"Notion page {self.task.notion_page_id}" if self.task.notion_page_id else "no Notion page"
        text = f"{self.outcome:<10} {self.task.module_id} r{self.task.revision} ({where})"
        if self.pr_url:
            text += f" PR {self.pr_url}"
        return f"{text} — {self.message}" if self.message else text


@dataclass(frozen=True)
class WritebackReport:
    """Every task this run looked at."""

    outcomes: tuple[WritebackOutcome, ...]

    @property
    def ok(self) -> bool:
        """False when a task failed (it stays queued) or its page is gone (reported this once, not retried)."""
        return not any(o.outcome in ("failed", "page gone") for o in self.outcomes)

    def lines(self) -> list[str]:
        return [outcome.line() for outcome in self.outcomes] + [self.summary()]

    def summary(self) -> str:
        kinds = ("written", "superseded", "no page", "page gone", "failed")
        counts = ", ".join(f"{n} {k}" for k in kinds if (n := sum(o.outcome == k for o in self.outcomes)))
        tail = ""
        if any(o.outcome == "failed" for o in self.outcomes):
            tail += "; failed tasks stay queued: run writeback again"
        if any(o.outcome == "page gone" for o in self.outcomes):
            tail += "; tasks whose page is gone are not retried: see each line for how to clear it"
        return f"writeback: {counts or 'nothing to write back'}{tail}"


@dataclass(frozen=True)
class RetryReport:
    """What `writeback --retry MODULE_ID` queued again."""

    module_id: str
    reopened: int

    @property
    def ok(self) -> bool:
        return self.reopened > 0

    def lines(self) -> list[str]:
        if self.reopened:
            return [f"queued again: {self.reopened} writeback task(s) of {self.module_id}; run writeback to send them"]
        return [
            f"nothing to retry: {self.module_id} has no writeback task closed because its Notion page was gone "
            "(check the module id: `python -m pipeline status` lists them)"
        ]


def find_merged_pr_url(repo: Any, commit_sha: str | None, module_id: str) -> str | None:
    """The URL of the pull request that brought `commit_sha` to main, preferring the module's own branch."""
    if repo is None or not commit_sha:
        return None
    try:
        pulls = list(repo.get_commit(commit_sha).get_pulls())
    except GithubException as exc:
        if exc.status in (404, 422):  # a commit GitHub never saw (deployed from an unpushed checkout): no PR to link
            log.warning("deployed commit %s is not on GitHub: %s goes live without a PR link", commit_sha, module_id)
            return None
        raise
    branch = f"notion/{module_id}"
    # List items carry merged_at but not `merged`: asking for .merged would fetch every PR again.
    ranked = sorted(pulls, key=lambda pr: (pr.head.ref != branch, pr.merged_at is None, -pr.number))
    if ranked:
        return ranked[0].html_url
    # A push that carried several merges names only the last: fall back to the module branch's merged PR.
    owner = repo.full_name.split("/")[0]
    merged = [pr for pr in repo.get_pulls(state="closed", head=f"{owner}:{branch}") if pr.merged_at is not None]
    return max(merged, key=lambda pr: pr.number).html_url if merged else None


def write_back(settings: Settings, *, engine: Engine | None = None, limit: int = 100) -> WritebackReport:
    """Tell Notion about every pending deploy in the outbox; return what happened to each task."""
    settings.require("notion_token")
    owned = engine is None
    engine = engine or connect(settings)
    try:
        with database_errors(engine, "writeback"):
            tasks = pending_writebacks(engine, limit)
            if not tasks:
                return WritebackReport(())
            repo = _repository(settings)
            with NotionGateway(settings) as notion:
                schema = notion.retrieve_data_source().get("properties", {})
                return WritebackReport(tuple(_drain(tasks, engine, notion, repo, schema, settings)))
    finally:
        if owned:
            engine.dispose()


def _repository(settings: Settings) -> Any:
    if not (settings.github_token and settings.github_repository):
        log.warning("GITHUB_TOKEN/GITHUB_REPOSITORY not set: writeback cannot find the PR links")
        return None
    return open_repository(settings)


def _drain(
    tasks: list[WritebackTask], engine: Engine, notion: Any, repo: Any, schema: Mapping[str, Any], settings: Settings
) -> list[WritebackOutcome]:
    latest = {t.notion_page_id: t for t in sorted(tasks, key=lambda t: (t.revision, t.id)) if t.notion_page_id}
    outcomes = []
    retired = retired_modules(engine, sorted({t.module_id for t in tasks}))
    for task in tasks:
        if not task.notion_page_id:
            mark_writeback_done(engine, task.id)
            outcomes.append(WritebackOutcome(task, "no page", message="module has no notion_page_id"))
        elif latest[task.notion_page_id] is not task:
            # An older revision of a page a later deploy also changed: the newer task speaks for both.
            mark_writeback_done(engine, task.id)
            outcomes.append(WritebackOutcome(task, "superseded"))
        else:
            outcomes.append(_write_one(task, engine, notion, repo, schema, settings, task.module_id in retired))
    return outcomes


def retry_gone_writebacks(settings: Settings, module_id: str, *, engine: Engine | None = None) -> RetryReport:
    """Queue again the writeback of `module_id` that was closed because its Notion page was gone."""
    owned = engine is None
    engine = engine or connect(settings)
    try:
        with database_errors(engine, "writeback --retry"):
            return RetryReport(module_id, reopen_gone_writebacks(engine, module_id))
    finally:
        if owned:
            engine.dispose()


def gone_page_advice(task: WritebackTask) -> str:
    """What an operator does about a module whose Notion page Notion cannot find."""
    return (
        f"Notion has no page {task.notion_page_id} that the integration can see (object_not_found): it was "
        "deleted, or is not shared with the integration. This task is closed and will not be retried. To clear "
        "it: restore the page from Notion's Trash or share it (page menu → Connections), then run "
        f"`python -m pipeline writeback --retry {task.module_id}`; or, if the module has another page now, export "
        "that page (its id goes into notion_page_id) and the next deploy writes back to it; or, if it has no page, "
        f'set "notion_page_id": null in data/modules/{task.module_id}.json'
    )


def _write_one(
    task: WritebackTask,
    engine: Engine,
    notion: Any,
    repo: Any,
    schema: Mapping[str, Any],
    settings: Settings,
    retired: bool = False,
) -> WritebackOutcome:
    pr_url = None
    try:
        with github_errors(settings, "find the merged pull request", task.source_commit or task.module_id):
            pr_url = find_merged_pr_url(repo, task.source_commit, task.module_id)
        payload = live_properties(schema, pr_url, task.deployed_at, retired=retired)
        notion.update_page_properties(task.notion_page_id, payload)
    except (NotionError, GitHubError) as exc:
        if isinstance(exc, NotionError) and exc.code == "object_not_found":
            # No rerun brings the page back: retrying it on every deploy, for ever, would only bury real failures.
            advice = gone_page_advice(task)
            close_writeback_gone(engine, task.id, advice)
            return WritebackOutcome(task, "page gone", pr_url, advice)
        message = redact(str(exc), settings)
        record_writeback_failure(engine, task.id, message)
        return WritebackOutcome(task, "failed", pr_url, message)
    mark_writeback_done(engine, task.id)
    return WritebackOutcome(task, "written", pr_url, "" if pr_url else "no merged PR found for the deployed commit")
