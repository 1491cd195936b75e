"""`media gc`: delete stored objects nobody refers to any more, after a grace period; a dry run by default.

Mark: every module file on main (the checkout), every module file at the head of every open PR, and every
revision the database recorded (live and archived), plus the files added by hand that deploy mapped. Sweep: an
original (with its variants, poster and record) whose digest no mark names, unreferenced for `grace_days` — by
the manifest's clock (`unreferenced_since`), or the object's own age when the manifest never knew it (an upload
whose PR was closed). gc is the only job whose credentials may delete (docs/media.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from pipeline.db.engine import connect
from pipeline.errors import ConfigError
from pipeline.github.client import github_errors, open_repository
from pipeline.media.backends import open_store
from pipeline.media.keys import digest_of_key, is_original_key, key_of_media_url
from pipeline.media.manifest import mark_unreferenced
from pipeline.media.references import module_media_urls
from pipeline.media.store import MediaStore, StoredObject
from pipeline.module.document import load_module
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    """What one gc run found: objects stored, the unreferenced ones, and those past the grace period."""

    stored: tuple[StoredObject, ...]
    unreferenced: tuple[StoredObject, ...]
    expired: tuple[StoredObject, ...]
    grace_days: float
    applied: bool
    marked_from: tuple[str, ...]  # what the marks came from, for the report

    ok = True

    def lines(self) -> list[str]:
        def size(objects: Iterable[StoredObject]) -> str:
            objects = list(objects)
            return f"{len(objects)} object(s), {sum(o.size for o in objects) / 1e6:.1f} MB"

        verb = "deleted" if self.applied else "would delete (dry run: run with --apply to delete)"
        lines = [
            f"media gc: marked from {', '.join(self.marked_from)}",
            f"stored: {size(self.stored)}; unreferenced: {size(self.unreferenced)}",
            f"{verb}: {size(self.expired)} unreferenced for at least {self.grace_days:g} day(s)",
        ]
        lines += [f"  {o.key}  {o.size} bytes" for o in self.expired[:200]]
        if len(self.expired) > 200:
            lines.append(f"  … and {len(self.expired) - 200} more")
        return lines


def referenced_digests(modules: Iterable[Mapping[str, Any]], aliases: Mapping[str, str] | None = None) -> set[str]:
    """The originals' digests these module documents refer to (`/media/…`, and `/assets/…` through `aliases`)."""
    digests: set[str] = set()
    for module in modules:
        for url in module_media_urls(module):
            key = key_of_media_url(url) or (aliases or {}).get(url)
            digest = digest_of_key(key) if key else None
            if digest:
                digests.add(digest)
    return digests


def plan_sweep(
    stored: Iterable[StoredObject],
    referenced: set[str],
    unreferenced_since: Mapping[str, datetime],
    grace: timedelta,
    now: datetime,
) -> tuple[list[StoredObject], list[StoredObject]]:
    """(unreferenced objects, those past the grace period): pure, so the rule is tested on its own."""
    unreferenced, expired = [], []
    for item in stored:
        digest = digest_of_key(item.key)
        if digest is None or digest in referenced:
            continue  # not ours (another prefix's file), or still in use
        unreferenced.append(item)
        since = unreferenced_since.get(digest) or item.last_modified
        if now - since >= grace:
            expired.append(item)
    # The record first, the original last: a half-swept original never looks complete to ingest.
    expired.sort(key=lambda o: (digest_of_key(o.key) or "", _sweep_order(o.key)))
    return unreferenced, expired


def _sweep_order(key: str) -> int:
    return 0 if key.endswith("/record.json") else 2 if is_original_key(key) else 1


def open_pull_request_modules(settings: Settings) -> list[dict[str, Any]] | None:
    """The module files at the head of every open PR; None when GitHub is not configured."""
    if not (settings.github_token and settings.github_repository):
        return None
    folder = settings.modules_dir.as_posix().strip("/").removeprefix("./")
    repo = open_repository(settings)
    modules: list[dict[str, Any]] = []
    with github_errors(settings, "read the open pull requests", settings.github_repository):
        for pull in repo.get_pulls(state="open"):
            for changed in pull.get_files():
                if changed.status == "removed" or not changed.filename.endswith(".json"):
                    continue
                if not changed.filename.startswith(folder + "/"):
                    continue
                content = repo.get_contents(changed.filename, ref=pull.head.sha)
                try:
                    modules.append(json.loads(content.decoded_content))  # type: ignore[union-attr]
                except ValueError:
                    continue  # not a module file validate would pass; it refers to nothing gc must keep
    return modules


def database_marks(engine: Engine, now: datetime) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, datetime]]:
    """Every recorded revision's document, the hand-added files' aliases, and the manifest's clock: since when
    each original has been unreferenced (now, for one referenced until this run: its grace starts today)."""
    with engine.connect() as conn:
        documents = [row.document for row in conn.execute(text("SELECT document FROM module_revisions"))]
        rows = conn.execute(text("SELECT asset_url, media_key FROM media_aliases"))
        aliases = {r.asset_url: r.media_key for r in rows}
        rows = conn.execute(text("SELECT sha256, unreferenced_since FROM media_objects"))
        clock = {r.sha256: r.unreferenced_since or now for r in rows}
    return [d if isinstance(d, dict) else json.loads(d) for d in documents], aliases, clock


def collect_garbage(
    store: MediaStore,
    engine: Engine,
    main_modules: list[dict[str, Any]],
    pull_request_modules: list[dict[str, Any]] | None,
    *,
    grace_days: float = 30.0,
    apply: bool = False,
    now: datetime | None = None,
) -> Sweep:
    """Mark, then sweep (only with `apply`); `pull_request_modules` None means open PRs could not be read."""
    if apply and pull_request_modules is None:
        raise ConfigError(
            "media gc --apply must see every open PR's modules: set GITHUB_TOKEN and GITHUB_REPOSITORY "
            "(a dry run works without them)"
        )
    now = now or datetime.now(UTC)
    revisions, aliases, clock = database_marks(engine, now)
    referenced = referenced_digests([*main_modules, *(pull_request_modules or []), *revisions], aliases)
    marked_from = [f"{len(main_modules)} module file(s) on main", f"{len(revisions)} recorded revision(s)"]
    marked_from.append(
        f"{len(pull_request_modules)} module file(s) on open PRs"
        if pull_request_modules is not None
        else "no open PRs (GitHub not configured: dry run only)"
    )
    stored = list(store.list())
    unreferenced, expired = plan_sweep(stored, referenced, clock, timedelta(days=grace_days), now)
    with engine.begin() as conn:
        mark_unreferenced(conn, [o.key for o in stored if digest_of_key(o.key) in referenced])
        if apply and expired:
            gone = sorted({o.key for o in expired})
            for item in expired:
                store.delete(item.key)
            conn.execute(text("DELETE FROM media_aliases WHERE media_key = ANY(:keys)"), {"keys": gone})
            conn.execute(text("DELETE FROM media_objects WHERE key = ANY(:keys)"), {"keys": gone})
    log.info("media gc: %d unreferenced, %d past the grace period", len(unreferenced), len(expired))
    return Sweep(tuple(stored), tuple(unreferenced), tuple(expired), grace_days, apply, tuple(marked_from))


def run_gc(settings: Settings, *, apply: bool = False, grace_days: float | None = None) -> Sweep:
    """`media gc`: marks from main's checkout (MODULES_DIR), the open PRs and the database; sweeps with `apply`."""
    main_modules = [load_module(p).data for p in sorted(settings.modules_dir.glob("*.json"))]
    pull_requests = open_pull_request_modules(settings)
    engine = connect(settings)
    try:
        return collect_garbage(
            open_store(settings),
            engine,
            main_modules,
            pull_requests,
            grace_days=settings.media_gc_grace_days if grace_days is None else grace_days,
            apply=apply,
        )
    finally:
        engine.dispose()
