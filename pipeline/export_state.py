"""What export knows of its last run, with no state outside Git: the previous export of each Notion page.

Every workflow run starts from a fresh checkout of `main`, where a module that is still under review exists only
on its branch `notion/<module_id>`. So the previous export of a page is the newer of two files: the module file in
the working tree (main's, or a developer's own export) and the file on the module's open PR branch. Reading it
from there lets an unchanged page reach the same bytes (its metadata kept), so a run makes no commit.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pipeline.github.client import github_errors, open_repository
from pipeline.module.assets import ASSET_URL_PREFIX, asset_path, referenced_assets
from pipeline.module.canonical import content_hash, write_atomically
from pipeline.module.document import ModuleDocument, ModuleLoadError, is_valid_id, load_module, parse_module
from pipeline.notion.ids import normalise_page_id
from pipeline.propose.proposal import REPO_ASSETS_DIR, REPO_MODULES_DIR
from pipeline.settings import Settings

if TYPE_CHECKING:
    from github.Repository import Repository

log = logging.getLogger(__name__)

EXPORTED_BY = "notion_sync_bot"
# Notion rounds last_edited_time down to the minute: an export made within that minute may have missed an edit.
EDIT_TIME_RESOLUTION = timedelta(minutes=1)
# The integration's own write (the PR link) follows the export in the same run, within the job's 30-minute limit.
OWN_WRITE_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class PreviousExport:
    """A page's last export: the module document and, when it came from its PR branch, that branch's files."""

    document: ModuleDocument
    branch: str | None = None  # "notion/<module_id>" when read from GitHub
    branch_files: tuple[tuple[str, str], ...] = ()  # (repository path, blob sha) of the branch's tree


class PreviousExports:
    """The previous export of each page: the working tree's module files, and (when GitHub is configured) the
    module files on the open `notion/<module_id>` PR branches, whichever is newer."""

    def __init__(self, settings: Settings, *, read_branches: bool) -> None:
        self.settings = settings
        self.local = existing_modules(settings.modules_dir)
        self._read_branches = read_branches and bool(settings.github_token and settings.github_repository)
        self._repo: Repository | None = None
        self._open_heads: dict[str, str] | None = None  # branch -> head commit sha
        self._branch_exports: dict[str, PreviousExport | None] = {}  # module id -> the file on its open PR branch

    def of(self, page_id: str, module_id: str | None) -> PreviousExport | None:
        """The newer of the working tree's file for this page and the file on its module's open PR branch."""
        local = self.local.get(normalise_page_id(page_id))
        on_branch = self._on_branch(page_id, module_id) if module_id else None
        candidates = [c for c in (PreviousExport(local) if local else None, on_branch) if c is not None]
        if not candidates:  # a new module, or a Module ID changed while the old module's PR is open
            return self._on_other_branch(page_id, module_id)
        return max(candidates, key=lambda c: _export_order(c.document))

    def restore(self, previous: PreviousExport) -> bool:
        """Write a branch export (module file and its assets) into the working tree; True when a file changed."""
        if previous.branch is None:
            return False
        repo, document = self._repository(), previous.document
        files = dict(previous.branch_files)
        assert document.path is not None  # branch exports are placed in MODULES_DIR when read
        changed = write_atomically(document.path, document.text)
        assets_dir = self.settings.resolved_assets_dir
        for url in referenced_assets(document.data):
            local = asset_path(url, assets_dir)
            repo_path = f"{REPO_ASSETS_DIR}/{PurePosixPath(url[len(ASSET_URL_PREFIX) :])}"
            if local is None or repo_path not in files:
                continue  # a missing asset is a validation problem, reported as such
            with github_errors(self.settings, "read an asset of the open PR", f"{repo_path} on {previous.branch}"):
                content = base64.b64decode(repo.get_git_blob(files[repo_path]).content)
            changed = write_atomically(local, content) or changed
        return changed

    def _repository(self) -> Repository:
        if self._repo is None:
            self._repo = open_repository(self.settings)
        return self._repo

    def _heads(self) -> dict[str, str]:
        if self._open_heads is None:
            repo = self._repository()
            with github_errors(self.settings, "list the open pull requests", repo.full_name):
                self._open_heads = {
                    pr.head.ref: pr.head.sha for pr in repo.get_pulls(state="open", base=repo.default_branch)
                }
        return self._open_heads

    def _on_branch(self, page_id: str, module_id: str) -> PreviousExport | None:
        """This page's export on the open PR branch of `module_id`, if that branch holds this page's module."""
        found = self._branch_export(module_id) if self._read_branches else None
        owner = found.document.data.get("notion_page_id") if found else None
        if not isinstance(owner, str) or normalise_page_id(owner) != normalise_page_id(page_id):
            return None  # no such branch, or it proposes another page's module
        return found

    def _on_other_branch(self, page_id: str, module_id: str | None) -> PreviousExport | None:
        """The page's export on another module's open PR branch: its Module ID changed before that PR merged."""
        if not self._read_branches:
            return None
        others = sorted(b.removeprefix("notion/") for b in self._heads() if b.startswith("notion/"))
        return next((e for m in others if m != module_id and (e := self._on_branch(page_id, m))), None)

    def _branch_export(self, module_id: str) -> PreviousExport | None:
        if module_id not in self._branch_exports:
            self._branch_exports[module_id] = self._read_branch_export(module_id)
        return self._branch_exports[module_id]

    def _read_branch_export(self, module_id: str) -> PreviousExport | None:
        branch = f"notion/{module_id}"
        head = self._heads().get(branch)
        if head is None or not is_valid_id(module_id):  # the id becomes a file name in the checkout
            return None
        repo = self._repository()
        module_path = f"{REPO_MODULES_DIR}/{module_id}.json"
        with github_errors(self.settings, "read the module on its open PR branch", f"{module_path} on {branch}"):
            tree = repo.get_git_tree(repo.get_git_commit(head).tree.sha, recursive=True)
            files = tuple((e.path, e.sha) for e in tree.tree if e.type == "blob")
            sha = dict(files).get(module_path)
            if sha is None:
                return None
            raw = base64.b64decode(repo.get_git_blob(sha).content)
        try:
            document = parse_module(raw, self.settings.modules_dir / f"{module_id}.json")
        except ModuleLoadError as error:
            log.warning("ignoring the unreadable module on %s: %s", branch, error)
            return None
        return PreviousExport(document, branch, files)


def existing_modules(modules_dir: Path) -> dict[str, ModuleDocument]:
    """The module files already in the working tree, keyed by the Notion page they came from."""
    found: dict[str, ModuleDocument] = {}
    for path in sorted(modules_dir.glob("*.json")):
        try:
            doc = load_module(path)
        except ModuleLoadError as error:
            log.warning("ignoring unreadable module file: %s", error)
            continue
        notion_id = doc.data.get("notion_page_id")
        if isinstance(notion_id, str) and notion_id:
            found[normalise_page_id(notion_id)] = doc
    return found


def unchanged_since_export(page: dict[str, Any], previous: ModuleDocument, bot_user_id: Callable[[], str]) -> bool:
    """Whether the page needs no new read: nobody but this integration edited it since the export.

    Either its last_edited_time is the one recorded (and the export came after that whole minute), or its last
    edit is the integration's own (last_edited_by = the bot user) made within the run that exported it.
    """
    metadata = previous.data.get("metadata") or {}
    recorded, exported_at = metadata.get("notion_last_edited_time"), metadata.get("exported_at")
    if not isinstance(recorded, str) or not isinstance(exported_at, str):
        return False
    edited, recorded_at, exported = parse_time(page["last_edited_time"]), parse_time(recorded), parse_time(exported_at)
    if exported <= recorded_at + EDIT_TIME_RESOLUTION:
        return False  # the export may have missed an edit made in the same minute
    if edited == recorded_at:
        return True
    editor = (page.get("last_edited_by") or {}).get("id")
    own_write = recorded_at <= edited <= exported + OWN_WRITE_WINDOW
    return own_write and bool(editor) and normalise_page_id(str(editor)) == normalise_page_id(bot_user_id())


def with_metadata(
    module: dict[str, Any], previous: ModuleDocument | None, page: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Same content as the file: keep its metadata (byte-identical file); new content: revision + 1, new times."""
    data = {k: v for k, v in module.items() if k != "metadata"}
    digest = content_hash(data)
    if (
        previous is not None
        and previous.module_id == data.get("module_id")
        and previous.content_hash == digest
        and isinstance(previous.data.get("metadata"), dict)
    ):
        return {**data, "metadata": previous.data["metadata"]}
    revision = 1
    if previous is not None:
        revision = int((previous.data.get("metadata") or {}).get("revision") or 0) + 1
    data["metadata"] = {
        "revision": revision,
        "exported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exported_by": EXPORTED_BY,
        "notion_last_edited_time": parse_time(page["last_edited_time"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "content_hash": digest,
    }
    return data


def _export_order(document: ModuleDocument) -> tuple[int, str]:
    metadata = document.data.get("metadata") or {}
    revision = metadata.get("revision")
    return (revision if isinstance(revision, int) else 0, str(metadata.get("exported_at") or ""))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
