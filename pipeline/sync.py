"""Sync: export Ready pages, validate them, propose one PR per changed module, and link each PR on its page.

The one command the scheduled export workflow runs; its report and exit status cover every page and module.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError, NotionError
from pipeline.export import ExportReport, export_pages
from pipeline.notion.client import NotionGateway
from pipeline.notion.ids import normalise_page_id
from pipeline.notion.page_updates import LINK_PROPERTY, pr_link_of, pr_link_value
from pipeline.propose.proposal import ProposalResult, ProposeReport, propose_modules
from pipeline.settings import Settings, redact

log = logging.getLogger(__name__)

# Pages in these export outcomes have a module file worth proposing (written now, or already up to date).
_PROPOSABLE = frozenset({"written", "unchanged", "skipped"})


@dataclass(frozen=True)
class PageLink:
    """The PR link written (or not) onto a module's Notion page."""

    module_id: str
    page_id: str
    pr_url: str
    error: str | None = None

    def line(self) -> str:
        """One line for the terminal."""
        if self.error:
            return f"link      {self.module_id}: could not set {LINK_PROPERTY} on page {self.page_id} — {self.error}"
        return f"link      {self.module_id}: {LINK_PROPERTY} = {self.pr_url} on page {self.page_id}"


@dataclass(frozen=True)
class SyncReport:
    """Export, propose and link results of one run."""

    export: ExportReport | None  # None: `propose` alone (the files were exported earlier)
    propose: ProposeReport | None
    links: tuple[PageLink, ...]

    @property
    def ok(self) -> bool:
        proposed = self.propose is None or self.propose.ok
        exported = self.export is None or self.export.ok
        return exported and proposed and not any(link.error for link in self.links)

    def lines(self) -> list[str]:
        """Everything the run did, one line each, then a summary."""
        lines = self.export.lines() if self.export is not None else []
        if self.propose is not None:
            lines += [result.line() for result in self.propose.results]
            lines.append(f"propose: {self.propose.summary()}")
        lines += [link.line() for link in self.links]
        return lines


def sync(settings: Settings, *, page_id: str | None = None, all_pages: bool = False) -> SyncReport:
    """Export (one page or the Ready ones), then propose the exported modules and put each PR link on its page."""
    settings.require("notion_token", "github_token", "github_repository")
    # Each workflow run is a fresh checkout of main: a module under review is found on its PR branch.
    exported = export_pages(settings, page_id=page_id, all_pages=all_pages, read_branches=True)
    paths = sorted(
        {
            settings.modules_dir / f"{page.module_id}.json"
            for page in exported.pages
            if page.module_id and page.outcome in _PROPOSABLE
        }
    )
    paths = [path for path in paths if path.is_file()]
    if not paths:
        return SyncReport(exported, None, ())
    # what export left out or changed, for the PR body; a skipped page was not read, so its PR keeps its notes
    notes = {
        page.module_id: page.page_warnings
        for page in exported.pages
        if page.module_id and page.outcome in ("written", "unchanged")
    }
    known_links = {normalise_page_id(page.page_id): page.pr_link for page in exported.pages}
    proposed, links = propose_and_link(paths, settings, export_notes=notes, known_links=known_links)
    return SyncReport(exported, proposed, links)


def notion_configured(settings: Settings) -> bool:
    """Whether the Notion side is set up (token and Module Library), so PR links can go onto the pages."""
    return bool(settings.notion_token and (settings.notion_data_source_id or settings.notion_database_id))


def propose_and_link(
    paths: list[Path] | None,
    settings: Settings,
    *,
    notion_web_url: str | None = None,
    export_notes: Mapping[str, Sequence[str]] | None = None,
    known_links: Mapping[str, str | None] | None = None,
) -> tuple[ProposeReport, tuple[PageLink, ...]]:
    """Propose the module files, then put each new or updated PR's link on its Notion page when Notion is set up."""
    proposed = propose_modules(paths, settings, notion_base_url=notion_web_url, export_notes=export_notes)
    if paths and not proposed.results:  # a mistyped folder must not pass as "ok"
        raise ConfigError(f"no module files in {', '.join(map(str, paths))}; give *.json files or their folder")
    links = link_pull_requests(proposed.results, settings, known_links) if notion_configured(settings) else ()
    return proposed, links


def propose(paths: list[Path] | None, settings: Settings, *, notion_web_url: str | None = None) -> SyncReport:
    """The `propose` command: propose_and_link as a report."""
    proposed, links = propose_and_link(paths, settings, notion_web_url=notion_web_url)
    return SyncReport(None, proposed, links)


def link_pull_requests(
    results: tuple[ProposalResult, ...], settings: Settings, known_links: Mapping[str, str | None] | None = None
) -> tuple[PageLink, ...]:
    """Write each PR's URL onto its Notion page unless the page shows it already (a failure is reported, not fatal).

    `known_links` holds the values the export read (normalised page id -> link); other pages of new or updated
    PRs are read first. Writing the same value again would move the page's last_edited_time for nothing.
    """
    known = dict(known_links or {})
    wanted = [
        r
        for r in results
        if r.pr_url
        and r.notion_page_id
        and (r.action in ("created", "updated") or normalise_page_id(r.notion_page_id) in known)
    ]
    if not wanted:
        return ()
    links = []
    with NotionGateway(settings) as notion:
        schema: dict[str, Any] | None = None
        for result in wanted:
            assert result.pr_url is not None and result.notion_page_id is not None
            key = normalise_page_id(result.notion_page_id)
            try:
                current = known[key] if key in known else pr_link_of(notion.retrieve_page(result.notion_page_id))
            except NotionError as exc:
                links.append(
                    PageLink(result.module_id, result.notion_page_id, result.pr_url, redact(str(exc), settings))
                )
                continue
            if current == result.pr_url:
                continue
            if schema is None:
                schema = notion.retrieve_data_source().get("properties", {})
            link_type = (schema.get(LINK_PROPERTY) or {}).get("type")
            value = pr_link_value(link_type, result.pr_url)
            if value is None:
                links.append(
                    PageLink(
                        result.module_id,
                        result.notion_page_id,
                        result.pr_url,
                        f"the Module Library has no URL or text column named {LINK_PROPERTY!r}; "
                        "run `python -m pipeline notion check`",
                    )
                )
                continue
            try:
                notion.update_page_properties(result.notion_page_id, {LINK_PROPERTY: value})
            except NotionError as exc:
                links.append(
                    PageLink(result.module_id, result.notion_page_id, result.pr_url, redact(str(exc), settings))
                )
            else:
                links.append(PageLink(result.module_id, result.notion_page_id, result.pr_url))
    return tuple(links)
