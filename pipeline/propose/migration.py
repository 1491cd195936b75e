"""The reviewed PR of `media migrate`: the rewritten module files and the removal of the moved files from
data/assets/, in one commit on `media/migrate-assets` (updated in place when the PR is open)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from github import GithubException, InputGitTreeElement

from pipeline.github.client import github_errors, is_already_exists, open_repository
from pipeline.media.backends import open_store
from pipeline.media.migrate import MigrationReport, migrate_assets
from pipeline.propose.commit import BLOB_MODE, read_main
from pipeline.propose.proposal import REPO_ASSETS_DIR, REPO_MODULES_DIR, _open_or_update_pr
from pipeline.settings import Settings

MIGRATION_BRANCH = "media/migrate-assets"
TITLE = "Media: move data/assets/ into the media store"
BODY = (
    "`python -m pipeline media migrate` stored every file under `data/assets/` (with its variants) in the media "
    "store and rewrote the modules' `/assets/…` references to content-addressed `/media/…` ones. Git keeps the "
    "references; the bytes leave the repository. Merging deploys the modules with the same pictures, served from "
    "the CDN. See docs/media.md."
)


def propose_media_migration(settings: Settings, report: MigrationReport, assets_dir: Path) -> str | None:
    """Open (or update) the migration PR; its URL, or None when the migration changed nothing."""
    if not report.rewritten and not report.removed:
        return None
    repo = open_repository(settings)
    main = read_main(repo, settings)
    subject = f"branch {MIGRATION_BRANCH}"
    with github_errors(settings, "create the commit", subject):
        elements = [
            InputGitTreeElement(
                f"{REPO_MODULES_DIR}/{path.name}",
                BLOB_MODE,
                "blob",
                sha=repo.create_git_blob(base64.b64encode(path.read_bytes()).decode(), "base64").sha,
            )
            for path in report.rewritten
        ]
        for path in report.removed:
            repo_path = f"{REPO_ASSETS_DIR}/{path.relative_to(assets_dir).as_posix()}"
            if repo_path in main.files:
                elements.append(InputGitTreeElement(repo_path, BLOB_MODE, "blob", sha=None))  # a deletion
        tree = repo.create_git_tree(elements, base_tree=main.tree)
        commit = repo.create_git_commit(f"{TITLE}\n\n{BODY}\n", tree, [main.commit])
    with github_errors(settings, "move the branch to the new commit", subject):
        try:
            repo.create_git_ref(f"refs/heads/{MIGRATION_BRANCH}", commit.sha)
        except GithubException as exc:
            if not is_already_exists(exc):
                raise
            repo.get_git_ref(f"heads/{MIGRATION_BRANCH}").edit(commit.sha, force=True)
    pr, _, _ = _open_or_update_pr(repo, settings, MIGRATION_BRANCH, "main", TITLE, BODY, subject)
    return pr.html_url


@dataclass(frozen=True)
class MediaMigration:
    """`media migrate`'s report: what moved, and the PR that proposes it."""

    moved: MigrationReport
    pr_url: str | None

    @property
    def ok(self) -> bool:
        return self.moved.ok

    def lines(self) -> list[str]:
        return self.moved.lines() + ([f"proposed in {self.pr_url}"] if self.pr_url else [])


def migrate_media(settings: Settings, *, open_pr: bool = True) -> MediaMigration:
    """Move data/assets/ into the store, rewrite the modules, and (with GitHub configured) propose it in one PR."""
    assets_dir = settings.resolved_assets_dir
    moved = migrate_assets(settings.modules_dir, assets_dir, open_store(settings), settings.media_upload_workers)
    wants_pr = open_pr and bool(settings.github_token and settings.github_repository)
    return MediaMigration(moved, propose_media_migration(settings, moved, assets_dir) if wants_pr else None)
