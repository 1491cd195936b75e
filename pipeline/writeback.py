"""Writeback: drain the deploy outbox into Notion — Status = Live, the merged PR's link, Last Updated.

It writes those three properties and nothing else (never student data). A task is marked done only after
Notion accepted the update; a failure stays queued, with its error, for the next run.
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
    mark_writeback_done,
    pending_writebacks,
    record_writeback_failure,
    retired_modules,
)
from pipeline.errors import GitHubError, NotionError
from pipeline.github.client import github_errors, open_repository
from pipeline.notion.client import NotionGateway
from pipeline.notion.page_updates import live_properties
from pipeline.settings import Settings, redact

TaskOutcome = Literal["written", "superseded", "no page", "failed"]

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
        return not any(o.outcome == "failed" for o in self.outcomes)

    def lines(self) -> list[str]:
        return [outcome.line() for outcome in self.outcomes] + [self.summary()]

    def summary(self) -> str:
        kinds = ("written", "superseded", "no page", "failed")
        counts = ", ".join(f"{n} {k}" for k in kinds if (n := sum(o.outcome == k for o in self.outcomes)))
        tail = "; failed tasks stay queued: run writeback again" if not self.ok else ""
        return f"writeback: {counts or 'nothing to write back'}{tail}"


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
    ranked = sorted(pulls, key=lambda pr: (pr.head.ref != branch, not pr.merged, -pr.number))
    if ranked:
        return ranked[0].html_url
    # A push that carried several merges names only the last: fall back to the module branch's merged PR.
    owner = repo.full_name.split("/")[0]
    merged = [pr for pr in repo.get_pulls(state="closed", head=f"{owner}:{branch}") if pr.merged]
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
        message = redact(str(exc), settings)
        record_writeback_failure(engine, task.id, message)
        return WritebackOutcome(task, "failed", pr_url, message)
    mark_writeback_done(engine, task.id)
    return WritebackOutcome(task, "written", pr_url, "" if pr_url else "no merged PR found for the deployed commit")
