"""`media migrate`: an existing repository's data/assets/ moved into the media store, and every module's
`/assets/…` references rewritten to `/media/…` (with the section's media reference). Idempotent: a second run
finds nothing under data/assets/ and no `/assets/…` reference, and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.media.ingest import MediaSource, store_sources
from pipeline.media.keys import media_url_of_key
from pipeline.media.record import MediaRecord
from pipeline.media.references import module_media_urls, repoint_images
from pipeline.media.store import MediaStore
from pipeline.module.assets import asset_url, check_asset, is_local_asset
from pipeline.module.canonical import content_hash, write_module
from pipeline.module.document import load_module
from pipeline.module.media import media_for_name


@dataclass(frozen=True)
class MigrationReport:
    """What moved: module files rewritten, asset files removed, objects stored; problems that stopped a file."""

    rewritten: tuple[Path, ...]
    removed: tuple[Path, ...]
    objects_written: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if not self.rewritten and not self.removed and not self.problems:
            return ["media migrate: nothing to move (no file under data/assets/, no /assets/ reference)"]
        return [
            f"media migrate: {len(self.rewritten)} module file(s) rewritten, {len(self.removed)} file(s) moved "
            f"out of data/assets/ ({self.objects_written} object(s) stored)",
            *[f"  rewrote {p}" for p in self.rewritten],
            *[f"  problem: {p}" for p in self.problems],
        ]


def rewrite_module(module: dict[str, Any], moved: dict[str, MediaRecord]) -> dict[str, Any]:
    """`module` with each moved `/assets/…` URL pointing at its stored original (pure)."""
    sections = []
    for section in module.get("sections") or []:
        section = dict(section)
        url = section.get("media_url")
        if isinstance(url, str) and url in moved:
            record = moved[url]
            section["media_url"] = media_url_of_key(record.key)
            section["media"] = record.reference(str(section.get("title") or ""))
        if isinstance(section.get("content"), str):
            content = section["content"]
            for old, record in moved.items():
                content = repoint_images(content, old, media_url_of_key(record.key))
            section["content"] = content
        sections.append(section)
    data = {**module, "sections": sections}
    if isinstance(data.get("metadata"), dict) and "content_hash" in data["metadata"]:
        data["metadata"] = {**data["metadata"], "content_hash": content_hash(data)}
    return data


def migrate_assets(modules_dir: Path, assets_dir: Path, store: MediaStore, workers: int = 8) -> MigrationReport:
    """Store every media file under `assets_dir`, rewrite the modules in `modules_dir`, then remove the files."""
    files = (
        sorted(p for p in assets_dir.rglob("*") if p.is_file() and p.name != ".gitkeep") if assets_dir.is_dir() else []
    )
    problems: list[str] = []
    sources: dict[str, MediaSource] = {}
    for path in files:
        url = asset_url(path, assets_dir)
        checked = check_asset(url, assets_dir)
        media = media_for_name(path.name)
        if checked.problem or checked.path is None or media is None:
            problems.append(f"{url}: {checked.problem or 'not a media file'}; left in place")
            continue
        sources[url] = MediaSource.of_file(checked.path, media.content_type)
    run = store_sources(store, sources.values(), workers=workers)
    problems += list(run.refused.values())
    moved = {url: run.records[s.key] for url, s in sources.items() if s.key in run.records}
    rewritten = []
    for path in sorted(modules_dir.glob("*.json")):
        document = load_module(path)
        if not any(is_local_asset(u) for u in _urls(document.data)):
            continue
        missing = [u for u in _urls(document.data) if is_local_asset(u) and u not in moved]
        if missing:
            problems.append(f"{path}: {', '.join(missing)} could not be moved; the file is left as it is")
            continue
        if write_module(path, rewrite_module(document.data, moved)):
            rewritten.append(path)
    removed = []
    still_used = {u for p in modules_dir.glob("*.json") for u in _urls(load_module(p).data) if is_local_asset(u)}
    for url, source in sources.items():
        if url in moved and url not in still_used and source.path is not None:
            source.path.unlink()
            removed.append(source.path)
    return MigrationReport(tuple(rewritten), tuple(removed), run.written, tuple(problems))


def _urls(module: dict[str, Any]) -> list[str]:
    return module_media_urls(module)
