"""Deploy's media step: before the transaction commits, store whatever the modules refer to that is not stored
yet (files added by hand under data/assets/, or an export's upload whose record the manifest lacks), and hand
back the manifest rows the transaction writes. What the manifest knows costs no request at all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from pipeline.errors import DeployRefused
from pipeline.media.ingest import MediaSource, fetch_records, store_sources
from pipeline.media.keys import content_type_of_key
from pipeline.media.manifest import load_aliases, load_manifest, write_manifest
from pipeline.media.record import MediaRecord
from pipeline.media.references import collect_references
from pipeline.media.store import MediaStore
from pipeline.module.assets import check_asset
from pipeline.module.media import media_for_name


@dataclass(frozen=True)
class DeployMedia:
    """What the deploy transaction writes into the manifest, and what storing it took."""

    records: tuple[MediaRecord, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    objects_written: int = 0

    def write(self, conn: Connection) -> None:
        write_manifest(conn, self.records, self.aliases)


def store_module_media(
    conn: Connection, documents: Iterable[Mapping[str, Any]], assets_dir: Path, open_store: Any, workers: int = 8
) -> DeployMedia:
    """Store what `documents` refer to and the manifest lacks; `open_store()` is called only when needed."""
    references = collect_references(documents)
    if not references.keys and not references.asset_urls:
        return DeployMedia()
    known_aliases = load_aliases(conn, references.asset_urls)
    sources: list[MediaSource] = []
    aliases: dict[str, str] = {}
    for url in sorted(references.asset_urls):
        path = check_asset(url, assets_dir).path
        media = media_for_name(path.name) if path is not None else None
        if path is None or media is None:
            continue  # validate refused it already (this deploy stopped there); nothing to store
        source = MediaSource.of_file(path, media.content_type)
        sources.append(source)
        if known_aliases.get(url) != source.key:
            aliases[url] = source.key
    wanted = set(references.keys) | {s.key for s in sources}
    known = load_manifest(conn, wanted)
    missing = wanted - set(known)
    if not missing:
        return DeployMedia((), aliases)
    store: MediaStore = open_store()
    found = fetch_records(store, [k for k in missing if k in references.keys])
    for key in sorted(references.keys - set(known) - set(found)):
        data = store.get(key)
        if data is None:
            raise DeployRefused(
                f"/media/{key} is referred to by a module but is not in {store.description}: export the page "
                "again (it uploads its files) or restore the object; nothing was deployed"
            )
        sources.append(MediaSource.of_bytes(data, content_type_of_key(key), key.rsplit("/", 1)[-1]))
    run = store_sources(store, [s for s in sources if s.key not in found], known=set(known), workers=workers)
    if run.refused:
        raise DeployRefused("; ".join(run.refused.values()) + "; nothing was deployed")
    records = {**found, **run.records}
    return DeployMedia(tuple(records[k] for k in sorted(records)), aliases, run.written)
