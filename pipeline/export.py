"""Export: Module Library pages with Status = Ready -> data/modules/<module_id>.json (+ data/assets/), idempotently."""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ConfigError, NotionError
from pipeline.export_state import PreviousExports, unchanged_since_export, with_metadata
from pipeline.media.backends import open_store
from pipeline.media.store import MediaStore, MediaStoreError
from pipeline.module.canonical import dump_module, write_module
from pipeline.module.document import ModuleDocument, ModuleLoadError, is_valid_id, load_module
from pipeline.module.problems import Problem, display_path
from pipeline.notion.assets import PageAssets, stored_keys
from pipeline.notion.client import NotionGateway, is_transient
from pipeline.notion.feedback import tell_team_lead
from pipeline.notion.ids import normalise_page_id
from pipeline.notion.issues import ConversionIssue
from pipeline.notion.page_updates import pr_link_of
from pipeline.notion.properties import RETIRED_STATUSES, exported_statuses, page_module_id, page_title, property_value
from pipeline.notion.wording import covered, issue_text, problem_issue
from pipeline.settings import Settings
from pipeline.validate.rules import validate_documents

PageOutcome = Literal["written", "unchanged", "skipped", "failed"]  # skipped: not edited since its export

log = logging.getLogger(__name__)

FETCH_THREADS = 3


@dataclass(frozen=True)
class PageResult:
    """What happened to one Notion page: written, unchanged, skipped (not re-read) or failed, and why."""

    page_id: str
    title: str
    module_id: str | None
    outcome: PageOutcome
    problems: tuple[str, ...] = ()  # for the log: with page and block ids, file paths and JSON pointers
    warnings: tuple[str, ...] = ()
    notice: str | None = None  # what became of the comment on the page, when there was one to add
    transient: bool = False  # failed because of Notion or the network, not the page: no comment, just run again
    page_problems: tuple[str, ...] = ()  # the same, in the team lead's words (columns, headings, numbers from 1)
    page_warnings: tuple[str, ...] = ()
    pr_link: str | None = None  # the page's "GitHub Branch/PR" value as read, so a run never writes it twice

    def __str__(self) -> str:
        head = f"{self.outcome:9} {self.module_id or '-'}  {self.title!r} (Notion page {self.page_id})"
        lines = [head] + [f"    problem: {p}" for p in self.problems] + [f"    warning: {w}" for w in self.warnings]
        return "\n".join(lines + ([f"    {self.notice}"] if self.notice else []))


@dataclass(frozen=True)
class ExportReport:
    pages: tuple[PageResult, ...]

    @property
    def ok(self) -> bool:
        return not any(p.outcome == "failed" for p in self.pages)

    def count(self, outcome: PageOutcome) -> int:
        return sum(1 for p in self.pages if p.outcome == outcome)

    def lines(self) -> list[str]:
        """Each page's outcome (with its problems), then the summary."""
        return [str(page) for page in self.pages] + [self.summary()]

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("written", "unchanged", "skipped", "failed")]
        return f"export: {len(self.pages)} page(s): " + ", ".join(parts)


@dataclass(frozen=True)
class _Finding:
    """One problem or warning, as the log shows it (ids, paths, pointers) and as the page's comment says it."""

    log: str
    page: str

    @classmethod
    def of(cls, issue: ConversionIssue, log: str | None = None) -> _Finding:
        return cls(log if log is not None else str(issue), issue_text(issue))

    @classmethod
    def plain(cls, log: str, page: str | None = None) -> _Finding:
        return cls(log, page if page is not None else log)


@dataclass
class _Candidate:
    """A page read and converted, waiting for validation and writing."""

    page: dict[str, Any]
    title: str
    module_id: str | None
    module: dict[str, Any] | None = None
    draft: dict[str, Any] | None = None  # what converted despite problems: validated too, never written
    assets: PageAssets | None = None
    problems: list[_Finding] = field(default_factory=list)
    warnings: list[_Finding] = field(default_factory=list)
    covers: list[str] = field(default_factory=list)  # pointers the conversion's problems already name
    transient: bool = False


def export_pages(
    settings: Settings,
    *,
    page_id: str | None = None,
    all_pages: bool = False,
    now: datetime | None = None,
    read_branches: bool = False,
) -> ExportReport:
    """Export the Ready pages (or one page) into settings.modules_dir; unchanged content leaves files byte-identical.

    With `read_branches`, a page's previous export may also be the module file on its open PR branch (a fresh
    checkout of main does not hold it), so an unchanged page reaches the same bytes there too.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if settings.modules_dir.exists() and not settings.modules_dir.is_dir():
        raise ConfigError(
            f"MODULES_DIR {settings.modules_dir} is a file; set it to the folder of module files (data/modules)"
        )
    state = PreviousExports(settings, read_branches=read_branches)
    with NotionGateway(settings) as gateway:
        if page_id:
            pages = [gateway.retrieve_page(page_id)]
            _require_in_library(pages[0], gateway.data_source_id)
        else:
            pages = list(gateway.query_pages(status=exported_statuses(gateway.retrieve_data_source())))
        # a Retired/Archived page retires its module; one never exported has no module to retire
        pages = [p for p in pages if not _is_retired(p) or normalise_page_id(p["id"]) in state.local or page_id]
        existing: dict[str, ModuleDocument] = {}
        results: dict[str, PageResult] = {}
        to_read = []
        for page in pages:
            previous = state.of(page["id"], page_module_id(page))
            if previous is not None:
                existing[normalise_page_id(page["id"])] = previous.document
            forced = all_pages or page_id
            if not forced and previous and unchanged_since_export(page, previous.document, gateway.bot_user_id):
                state.restore(previous)  # from the PR branch into this checkout: the same bytes, read again from Git
                results[page["id"]] = PageResult(
                    page["id"], page_title(page), previous.document.module_id, "skipped", pr_link=pr_link_of(page)
                )
            else:
                to_read.append(page)
        known_ids = {key: doc.module_id for key, doc in state.local.items() if doc.module_id}
        known_ids.update({normalise_page_id(p["id"]): module_id for p in pages if (module_id := page_module_id(p))})
        with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
            candidates = list(pool.map(lambda p: _read_page(gateway, p, known_ids, settings.media_max_bytes), to_read))
        for result in _write_candidates(candidates, existing, settings, now):
            wanted = result.page_problems if result.outcome == "failed" else ()
            if (wanted or result.page_warnings) and not result.transient:
                # a Notion outage (transient) is the operator's business, not the team lead's
                notice = tell_team_lead(gateway, result.page_id, wanted, result.page_warnings, settings.guide_url)
                result = dataclasses.replace(result, notice=notice)
            results[result.page_id] = result
    return ExportReport(tuple(results[p["id"]] for p in pages))


def _read_page(gateway: NotionGateway, page: dict[str, Any], known_ids: dict[str, str], max_bytes: int) -> _Candidate:
    from pipeline.notion.page_mapping import page_to_module

    candidate = _Candidate(page, page_title(page), page_module_id(page))
    try:
        page = _with_full_relations(gateway, page)
        prerequisite_ids = _prerequisite_ids(gateway, page, known_ids)
        blocks = gateway.fetch_block_tree(page["id"], page["id"])
        candidate.assets = PageAssets(gateway, page["id"], candidate.module_id or "unnamed-module", max_bytes)
        conversion = page_to_module(
            page,
            blocks,
            prerequisite_ids=prerequisite_ids,
            resolve_file=candidate.assets.resolve_file,
            image_size=candidate.assets.image_size,
        )
    except NotionError as error:
        status = f" (Notion answered {error.status})" if error.status else ""
        candidate.problems.append(
            _Finding.plain(str(error), f"the page could not be read from Notion{status}; the export log has details")
        )
        candidate.transient = is_transient(error)
        return candidate
    for issue in conversion.problems:
        (candidate.problems if issue.severity == "error" else candidate.warnings).append(_Finding.of(issue))
    candidate.warnings += [_Finding.of(issue) for issue in conversion.warnings]
    candidate.covers = [issue.pointer for issue in conversion.problems if issue.severity == "error" and issue.pointer]
    candidate.transient = bool(candidate.assets.outages)
    candidate.module = conversion.module
    draft_id = (conversion.draft or {}).get("module_id")
    if conversion.module is None and isinstance(draft_id, str) and is_valid_id(draft_id):
        candidate.draft = conversion.draft
    if conversion.module and conversion.module.get("module_id"):
        candidate.module_id = conversion.module["module_id"]
    return candidate


def _write_candidates(
    candidates: list[_Candidate], existing: dict[str, ModuleDocument], settings: Settings, now: datetime
) -> list[PageResult]:
    """Give each converted module its metadata, validate them together, then write the valid ones.

    A page with problems is validated too, as far as it converted (its draft), so that its comment lists every
    problem at once; what its own problems already name is not repeated, and a draft is never written.
    """
    modules_dir, assets_dir = settings.modules_dir, settings.resolved_assets_dir
    media: list[MediaStore] = []  # opened by the first page with files to store
    documents: dict[int, ModuleDocument] = {}
    claims: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        if not candidate.problems and candidate.module is not None:
            claims.setdefault(candidate.module_id or "", []).append(candidate)
    titles = {c.page["id"]: c.title for c in candidates}
    for index, candidate in enumerate(candidates):
        if candidate.problems or candidate.module is None:
            if not candidate.problems:
                candidate.problems.append(_Finding.plain("the page could not be converted into a module"))
            draft = candidate.draft
            if draft is None or candidate.transient or draft["module_id"] in claims:
                continue
            module, module_id = draft, str(draft["module_id"])
        else:
            module, module_id = candidate.module, candidate.module_id or ""
            others = [c.page["id"] for c in claims[module_id] if c is not candidate]
            if others:  # neither page wins: which one the module is, is the team lead's call
                names = ", ".join(repr(titles[o]) if titles[o] else "an untitled page" for o in others)
                candidate.problems.append(
                    _Finding.plain(
                        f"Module ID {module_id!r} is also the Module ID of Notion page(s) {', '.join(others)}; "
                        "give each page its own Module ID",
                        f"Module ID {module_id!r} is also the Module ID of the page(s) {names}; "
                        "give each page its own Module ID",
                    )
                )
                continue
        assert candidate.assets is not None
        candidate.assets.module_id = module_id
        previous = existing.get(normalise_page_id(candidate.page["id"]))
        renamed = _renamed_from(previous, module_id, modules_dir)
        if renamed:
            candidate.problems.append(renamed)
            continue
        data = with_metadata(candidate.assets.with_references(module), previous, candidate.page, now)
        path = modules_dir / f"{module_id}.json"
        taken = _taken_by_another(path, candidate.page["id"])
        if taken:
            candidate.problems.append(taken)
            continue
        documents[index] = ModuleDocument(path, dump_module(data), data)
    problems = validate_documents(list(documents.values()), modules_dir, assets_dir)
    by_path: dict[str, list[Problem]] = {}
    for problem in problems:
        if problem.severity == "error":
            by_path.setdefault(problem.path, []).append(problem)
    results = []
    for index, candidate in enumerate(candidates):
        document = documents.get(index)
        if document is not None:
            for problem in by_path.get(document.display_path, []):
                if not covered(problem.pointer, candidate.covers):
                    issue = problem_issue(problem, document.data, candidate.page["id"])
                    candidate.problems.append(_Finding.of(issue, str(problem)))
        if candidate.problems or document is None or candidate.module is None:
            results.append(_result(candidate, "failed"))
            continue
        assert document.path is not None and candidate.assets is not None  # export documents are files
        # The media first: a module file is never written before the files it refers to are stored.
        previous = existing.get(normalise_page_id(candidate.page["id"]))
        failure = _store_page_media(candidate.assets, previous.data if previous else None, media, settings)
        if failure is not None:
            candidate.problems.append(failure[0])
            candidate.transient = candidate.transient or failure[1]
            results.append(_result(candidate, "failed"))
            continue
        written = write_module(document.path, document.data)
        results.append(_result(candidate, "written" if written else "unchanged"))
    return results


def _store_page_media(
    assets: PageAssets, previous: dict[str, Any] | None, opened: list[MediaStore], settings: Settings
) -> tuple[_Finding, bool] | None:
    """Store the files a page uses (those its last export referred to are stored already: no request); the
    problem and whether it is retryable when that fails, so the page is not written and is tried again."""
    if not assets.pending:
        return None
    try:
        if not opened:
            opened.append(open_store(settings))
        run = assets.store(opened[0], stored_keys(previous), settings.media_upload_workers)
    except MediaStoreError as exc:
        page = "its pictures and videos could not be stored right now; the export tries again on its next run"
        return _Finding.plain(f"media: {exc}", page), exc.retryable
    if run.refused:
        return _Finding.plain("; ".join(sorted(run.refused.values()))), False
    return None


def _taken_by_another(path: Path, page_id: str) -> _Finding | None:
    """Why `path` must not be overwritten by this page: it holds a module of another page, or one written in Git."""
    try:
        owner = load_module(path).data.get("notion_page_id")
    except (FileNotFoundError, ModuleLoadError):
        return None  # a free id, or a file too broken to be anyone's module
    if isinstance(owner, str) and normalise_page_id(owner) == normalise_page_id(page_id):
        return None
    from_notion = isinstance(owner, str) and bool(owner)
    source = f"Notion page {owner}" if from_notion else "Git (not exported from Notion)"
    return _Finding.plain(
        f"Module ID {path.stem!r} is already used by {display_path(path)}, which comes from {source}; "
        "give this page another Module ID (or delete that file first to hand the module over to this page)",
        f"Module ID {path.stem!r} is already used by "
        + ("another page's module" if from_notion else "a module written outside Notion")
        + "; give this page another Module ID (or ask the pipeline's operator to hand that module over to it)",
    )


def _renamed_from(previous: ModuleDocument | None, module_id: str, modules_dir: Path) -> _Finding | None:
    """Why a page whose Module ID changed may not export: its old module is in the library (main) already, or
    still waiting in its own pull request (merging both would make two modules of one page).

    Students' progress belongs to a module ID, so a module keeps its ID; a replacement is a new page.
    """
    old = previous.module_id if previous is not None else None
    if not old or old == module_id:
        return None
    if not (modules_dir / f"{old}.json").is_file():
        return _Finding.plain(
            f"Module ID was changed from {old!r} to {module_id!r} while module {old!r} is still waiting for review "
            f"in its own pull request: set Module ID back to {old!r}, or ask the reviewer to close the pull "
            f"request of {old!r} first; the next export then proposes {module_id!r}"
        )
    return _Finding.plain(
        f"Module ID was changed from {old!r} to {module_id!r}, but module {old!r} is already in the module "
        f"library and students' progress belongs to it: set Module ID back to {old!r}. To replace the module, "
        f"create a new page with the new Module ID and ask the maintainers to retire {old!r}"
    )


def _with_full_relations(gateway: NotionGateway, page: dict[str, Any]) -> dict[str, Any]:
    """The page with every relation complete: a page object shows 25 references at most (then has_more)."""
    properties = dict(page.get("properties") or {})
    for name, prop in properties.items():
        if prop.get("type") == "relation" and prop.get("has_more"):
            ids = gateway.relation_ids(page["id"], prop["id"])
            properties[name] = {**prop, "relation": [{"id": i} for i in ids], "has_more": False}
    return {**page, "properties": properties}


def _prerequisite_ids(gateway: NotionGateway, page: dict[str, Any], known: dict[str, str]) -> dict[str, str]:
    """Module IDs of the pages the Prerequisites relation points at (looked up in Notion when not known)."""
    prop = (page.get("properties") or {}).get("Prerequisites") or {}
    resolved: dict[str, str] = {}
    for ref in prop.get("relation") or []:
        key = normalise_page_id(ref["id"])
        module_id = known.get(key)
        if module_id is None:
            module_id = page_module_id(gateway.retrieve_page(ref["id"]))
            if module_id:
                known[key] = module_id
        if module_id:
            resolved[ref["id"]] = resolved[key] = module_id
    return resolved


def _result(candidate: _Candidate, outcome: PageOutcome) -> PageResult:
    return PageResult(
        candidate.page["id"],
        candidate.title,
        candidate.module_id,
        outcome,
        tuple(dict.fromkeys(f.log for f in candidate.problems)),
        tuple(dict.fromkeys(f.log for f in candidate.warnings)),
        transient=candidate.transient,
        page_problems=tuple(dict.fromkeys(f.page for f in candidate.problems)),
        page_warnings=tuple(dict.fromkeys(f.page for f in candidate.warnings)),
        pr_link=pr_link_of(candidate.page),
    )


def _is_retired(page: dict[str, Any]) -> bool:
    status = (page.get("properties") or {}).get("Status") or {}
    return str(property_value(status) or "").strip().lower() in RETIRED_STATUSES


def _require_in_library(page: dict[str, Any], data_source_id: str) -> None:
    """--page must name a page of the Module Library: another database's page would become a module file."""
    parent = page.get("parent") or {}
    if normalise_page_id(str(parent.get("data_source_id") or "")) != normalise_page_id(data_source_id):
        raise ConfigError(
            f"Notion page {page['id']} ({page_title(page)!r}) is not in the Module Library "
            f"(data source {data_source_id}); check the --page id, or NOTION_DATA_SOURCE_ID"
        )
