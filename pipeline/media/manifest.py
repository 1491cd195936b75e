"""The media manifest in PostgreSQL: what is stored (`media_objects`) and which repository file is which object
(`media_aliases`, for files added by hand under data/assets/). Deploy writes it in its own transaction; the
runtime reads it to build URLs; export and deploy read it to know, without asking the bucket, what is stored."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection, text

from pipeline.media.record import MediaRecord

_COLUMNS = (
    "key",
    "sha256",
    "content_type",
    "bytes",
    "width",
    "height",
    "variants",
    "placeholder",
    "poster",
    "faststart",
)


def load_manifest(conn: Connection, keys: Collection[str] | None = None) -> dict[str, MediaRecord]:
    """The records of `keys` (every record when None) that the manifest holds."""
    where = "" if keys is None else " WHERE key = ANY(:keys)"
    rows = conn.execute(text(f"SELECT {', '.join(_COLUMNS)} FROM media_objects{where}"), {"keys": list(keys or [])})
    return {row.key: record_of_row(dict(row._mapping)) for row in rows}


def record_of_row(row: Mapping[str, Any]) -> MediaRecord:
    return MediaRecord.from_json({c: row[c] for c in _COLUMNS})


def load_aliases(conn: Connection, asset_urls: Collection[str]) -> dict[str, str]:
    """`/assets/…` URL -> the key of the object deploy stored for it."""
    if not asset_urls:
        return {}
    rows = conn.execute(
        text("SELECT asset_url, media_key FROM media_aliases WHERE asset_url = ANY(:urls)"), {"urls": list(asset_urls)}
    )
    return {row.asset_url: row.media_key for row in rows}


def write_manifest(conn: Connection, records: Collection[MediaRecord], aliases: Mapping[str, str]) -> None:
    """Record stored objects (once: a key's content never changes) and point repository files at them."""
    if records:
        payload = [r.to_json() for r in records]
        conn.execute(
            text("""
            INSERT INTO media_objects (key, sha256, content_type, bytes, width, height, variants, placeholder,
                                       poster, faststart)
            SELECT r.key, r.sha256, r.content_type, r.bytes, r.width, r.height, coalesce(r.variants, '[]'::jsonb),
                   r.placeholder, r.poster, r.faststart
            FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(key text, sha256 text, content_type text,
                 bytes bigint, width integer, height integer, variants jsonb, placeholder text, poster text,
                 faststart boolean)
            ON CONFLICT (key) DO NOTHING
        """),
            {"rows": json.dumps(payload)},
        )
    if aliases:
        conn.execute(
            text("""
            INSERT INTO media_aliases (asset_url, media_key)
            SELECT * FROM unnest(CAST(:urls AS text[]), CAST(:keys AS text[]))
            ON CONFLICT (asset_url) DO UPDATE SET media_key = excluded.media_key, updated_at = now()
            WHERE media_aliases.media_key <> excluded.media_key
        """),
            {"urls": list(aliases), "keys": list(aliases.values())},
        )


def mark_unreferenced(conn: Connection, referenced: Collection[str]) -> None:
    """gc's clock: rows not in `referenced` get `unreferenced_since` (kept if set); referenced ones lose it."""
    keys = {"keys": list(referenced)}
    conn.execute(
        text(
            "UPDATE media_objects SET unreferenced_since = NULL "
            "WHERE key = ANY(:keys) AND unreferenced_since IS NOT NULL"
        ),
        keys,
    )
    conn.execute(
        text(
            "UPDATE media_objects SET unreferenced_since = now() "
            "WHERE NOT key = ANY(:keys) AND unreferenced_since IS NULL"
        ),
        keys,
    )
