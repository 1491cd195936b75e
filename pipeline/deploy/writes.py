"""Writing a deploy plan into the runtime tables: the documents travel once by COPY, PostgreSQL derives every row
in set-based statements (no per-row round trip, no per-row Python)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from pipeline.deploy.plan import (
    JSON_MODULE_COLUMNS,
    MODULE_COLUMNS,
    SECTION_COLUMNS,
    DeployPlan,
    section_rows,
)
from pipeline.validate.trust import Validated

log = logging.getLogger(__name__)

# md5 of a module's rows as PostgreSQL sees them; stored with each revision, recomputed to detect hand edits.
FINGERPRINT_SQL = f"""
SELECT m.module_id,
       md5(ROW({", ".join("m." + c for c in MODULE_COLUMNS)})::text || coalesce(s.fingerprint, '')) AS fingerprint
FROM modules m
LEFT JOIN (
    SELECT module_id, md5(string_agg(ROW(section_id, {", ".join(SECTION_COLUMNS)})::text, ',' ORDER BY section_id))
           AS fingerprint
    FROM module_sections {{section_filter}} GROUP BY module_id
) s ON s.module_id = m.module_id
"""


def apply_plan(
    conn: Connection,
    plan: DeployPlan,
    hashes: dict[str, str],
    texts: dict[str, str],
    commit: str | None,
    validated: Mapping[str, Validated] | None = None,
    documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Write the plan: upsert modules and sections, delete removed sections, revisions, outbox, archive.

    The documents travel once, by COPY, into a transaction-local table (dropped at commit, so fine behind a
    transaction pooler); PostgreSQL derives every row from them in set-based statements: no per-row round trip
    and no per-row Python, which is what makes 2,000 modules a second's work. Each section's content hash
    (section_content_hash) travels beside its document, as an object keyed by section_id.
    """
    writes = plan.writes
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # a live Connection always has its DBAPI connection
    cursor = dbapi.cursor()
    if writes:
        validated = validated or {}
        section_hashes = {
            change.module_id: _section_hashes(
                documents[change.module_id] if documents else json.loads(texts[change.module_id])
            )
            for change in writes
        }
        buffer = io.StringIO()
        for change in writes:
            check = validated.get(change.module_id)
            key, images = (check.key, _copy_escaped(json.dumps(check.markdown_images))) if check else ("\\N", "\\N")
            buffer.write(
                f"{change.module_id}\t{change.new_revision}\t{hashes[change.module_id]}\t"
                f"{'t' if change.archive else 'f'}\t{_copy_escaped(texts[change.module_id])}\t"
                f"{key}\t{images}\t{_copy_escaped(section_hashes[change.module_id])}\n"
            )
        buffer.seek(0)
        cursor.execute(
            "CREATE TEMPORARY TABLE incoming (module_id text, revision int, content_hash text, "
            "archive boolean, document jsonb, validation_key text, markdown_images jsonb, section_hashes jsonb) "
            "ON COMMIT DROP"
        )
        # Read a few times and dropped at commit: not worth compressing.
        cursor.execute("ALTER TABLE incoming ALTER COLUMN document SET STORAGE EXTERNAL")
        cursor.copy_expert("COPY incoming FROM STDIN", buffer)
        cursor.execute(_UPSERT_MODULES, {"commit": commit})
        cursor.execute(_DELETE_REMOVED_SECTIONS)
        # New modules have no sections yet: a plain INSERT skips ON CONFLICT's speculative insertion.
        cursor.execute(_UPSERT_SECTIONS.format(revisions="revision = 1", conflict=""))
        if any(c.old_revision for c in writes):
            cursor.execute(_UPSERT_SECTIONS.format(revisions="revision > 1", conflict=_SECTION_CONFLICT))
        cursor.execute(_INSERT_REVISIONS, {"commit": commit})
        cursor.execute(_INSERT_WRITEBACKS, {"commit": commit})
        cursor.execute("DROP TABLE incoming")
    gone = [c.module_id for c in plan.of("archived")]
    if gone:
        cursor.execute(
            "UPDATE modules SET archived_at = now() WHERE module_id = ANY(%s) AND archived_at IS NULL", (gone,)
        )
    log.info("deploy wrote %d module(s), archived %d", len(writes), len(gone))


def _section_hashes(document: Mapping[str, Any]) -> str:
    """{section_id: content_hash} of a document, as JSON text."""
    return json.dumps({row["section_id"]: row["content_hash"] for row in section_rows(document)})


def _copy_escaped(value: str) -> str:
    """`value` as a field of COPY's text format (str.replace runs in C; str.translate would not)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _extract(source: str, column: str) -> str:
    """SQL taking `column` out of the JSON object `source`, as the column's type."""
    if column in JSON_MODULE_COLUMNS or column == "content":
        return f"{source} -> '{column}'"
    if column in _INTEGER_COLUMNS:
        return f"({source} ->> '{column}')::int"
    return f"{source} ->> '{column}'"


_INTEGER_COLUMNS = frozenset({"estimated_minutes", "section_number", "duration_seconds"})
_MODULE_WRITE_COLUMNS = ("revision", "content_hash", *MODULE_COLUMNS, "source_commit", "deployed_at", "archived_at")
_UPSERT_MODULES = f"""
    INSERT INTO modules (module_id, {", ".join(_MODULE_WRITE_COLUMNS)})
    SELECT module_id, revision, content_hash, {", ".join(_extract("document", c) for c in MODULE_COLUMNS)},
           %(commit)s, now(), CASE WHEN archive THEN now() END
    FROM incoming
    ON CONFLICT (module_id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _MODULE_WRITE_COLUMNS)}
"""
_DELETE_REMOVED_SECTIONS = """
    DELETE FROM module_sections s USING incoming i
    WHERE s.module_id = i.module_id
      AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(i.document -> 'sections') e
                      WHERE e ->> 'section_id' = s.section_id)
"""
_UPSERT_SECTIONS = f"""
    INSERT INTO module_sections (module_id, section_id, {", ".join(SECTION_COLUMNS)}, content_hash)
    SELECT i.module_id, e ->> 'section_id', {", ".join(_extract("e", c) for c in SECTION_COLUMNS)},
           i.section_hashes ->> (e ->> 'section_id')
    FROM incoming i CROSS JOIN LATERAL jsonb_array_elements(i.document -> 'sections') e
    WHERE i.{{revisions}}
    {{conflict}}
"""
_SECTION_CONFLICT = f"""
    ON CONFLICT (module_id, section_id) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in SECTION_COLUMNS)}, content_hash = EXCLUDED.content_hash,
        updated_at = now()
    WHERE ({", ".join(f"module_sections.{c}" for c in SECTION_COLUMNS)})
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c}" for c in SECTION_COLUMNS)})
"""
_INSERT_REVISIONS = f"""
    INSERT INTO module_revisions (module_id, revision, content_hash, document, row_fingerprint, source_commit,
                                  validation_key, markdown_images)
    SELECT i.module_id, i.revision, i.content_hash, i.document, f.fingerprint, %(commit)s, i.validation_key,
           i.markdown_images
    FROM incoming i
    JOIN ({FINGERPRINT_SQL.format(section_filter="WHERE module_id IN (SELECT module_id FROM incoming)")}
          WHERE m.module_id IN (SELECT module_id FROM incoming)) f ON f.module_id = i.module_id
"""
_INSERT_WRITEBACKS = """
    INSERT INTO notion_writeback (module_id, revision, notion_page_id, source_commit, deployed_at)
    SELECT module_id, revision, document ->> 'notion_page_id', %(commit)s, now() FROM incoming
"""
