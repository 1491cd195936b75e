"""Modules as students read them: the catalogue (keyset pages) and one module's current revision.

A module is read in ONE statement (the module row and its sections aggregated), so a deploy committing meanwhile
is seen entirely or not at all: never a mix of two revisions. Each worker keeps the serialised revisions it has
served. Once per `runtime_cache_seconds` it asks the database one tiny question — the newest revision row and the
newest archiving, which every deploy moves — and while the answer stays the same its copies are current: a 304,
and a 200 of a module it has served, then need no query at all. When a deploy moves the answer, each copy is
checked again (revision and hash) on its next request, and re-read only if that module changed.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, text

from pipeline.deploy.plan import MODULE_COLUMNS
from pipeline.module.document import is_valid_id
from pipeline.runtime.auth import Principal
from pipeline.runtime.errors import ApiError, archived, not_found
from pipeline.runtime.student_view import student_section
from pipeline.runtime.wire import dumps, iso

Fields = Literal["full", "outline"]
View = Literal["full", "outline", "answers"]  # answers: the full module with its key, for staff who ask
CACHED_MODULES = 4096  # per worker; a revision of a large module is some tens of kB
SECTION_FIELDS = ("section_number", "section_type", "title", "content", "media_url", "duration_seconds")

_MODULE_SQL = text(f"""SELECT m.module_id, m.revision, m.content_hash, m.archived_at, m.deployed_at,
           {", ".join("m." + c for c in MODULE_COLUMNS)},
           coalesce((SELECT jsonb_agg(jsonb_build_object('section_id', s.section_id,
                            {", ".join(f"'{c}', s.{c}" for c in SECTION_FIELDS)}) ORDER BY s.section_number)
                     FROM module_sections s WHERE s.module_id = m.module_id), '[]'::jsonb) AS sections
    FROM modules m WHERE m.module_id = :module_id
""")
_HEAD_SQL = text(
    "SELECT revision, content_hash, archived_at, university_id, cohort FROM modules WHERE module_id = :module_id"
)
_ASSIGNED_SQL = text("SELECT 1 FROM module_assignments WHERE module_id = :module_id AND student_id = :student_id")
# What every deploy moves: a changed module writes a revision row, a removed one sets archived_at (both indexed).
_DEPLOY_STAMP_SQL = text(
    "SELECT (SELECT max(id) FROM module_revisions) AS revision_id, (SELECT max(archived_at) FROM modules) AS archived"
)
DeployStamp = tuple[int | None, datetime | None]


@dataclass(frozen=True)
class CachedModule:
    """One revision of one module, serialised once, with what access and freshness checks need."""

    module_id: str
    revision: int
    content_hash: str
    archived_at: datetime | None
    university_id: str
    cohort: str | None
    bodies: Mapping[View, bytes]  # the student views (full, outline) and the staff view with the key
    etags: Mapping[View, str]
    stamp: DeployStamp  # the deploy stamp under which the database last said this is the current revision

    def etag(self, view: View) -> str:
        return self.etags[view]

    def body(self, view: View) -> bytes:
        return self.bodies[view]


@dataclass(frozen=True)
class ModuleAnswer:
    """What GET /api/v1/modules/{id} answers: the body (None for 304) and its ETag."""

    etag: str
    body: bytes | None


class ModuleCache:
    """Per-worker copies of current revisions, valid while the deploy stamp (re-read every `ttl` s) stays put."""

    def __init__(self, ttl: float, capacity: int = CACHED_MODULES) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._entries: OrderedDict[str, CachedModule] = OrderedDict()
        self._lock = threading.Lock()
        self._stamp_lock = threading.Lock()
        self._stamp: DeployStamp = (None, None)
        self._stamp_read_at = -float("inf")

    def stamp(self, engine: Engine) -> DeployStamp:
        """The deploy stamp, read from the database at most once per `ttl` seconds (by one request at a time)."""
        if time.monotonic() - self._stamp_read_at < self.ttl:
            return self._stamp
        with self._stamp_lock:
            if time.monotonic() - self._stamp_read_at >= self.ttl:
                with engine.connect() as conn:
                    row = conn.execute(_DEPLOY_STAMP_SQL).one()
                self._stamp, self._stamp_read_at = (row.revision_id, row.archived), time.monotonic()
        return self._stamp

    def get(self, module_id: str) -> CachedModule | None:
        return self._entries.get(module_id)

    def put(self, entry: CachedModule) -> None:
        with self._lock:
            self._entries[entry.module_id] = entry
            self._entries.move_to_end(entry.module_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)


def offered_by_catalogue(principal: Principal, university_id: str, cohort: str | None) -> bool:
    """The catalogue rule: staff see everything; a university or cohort claim narrows what a student sees."""
    if principal.staff:
        return True
    if principal.university and principal.university != university_id:
        return False
    return not (principal.cohort and cohort and principal.cohort != cohort)


def check_module_id(module_id: str) -> None:
    if not is_valid_id(module_id):
        raise not_found(f"module {module_id[:80]!r}", "module ids are lowercase words joined by '-'")


def fetch_module(
    engine: Engine,
    cache: ModuleCache,
    module_id: str,
    principal: Principal,
    fields: Fields,
    if_none_match: str,
    *,
    with_answers: bool = False,
) -> ModuleAnswer:
    """The module's current revision for `principal`; body None when `if_none_match` already names it (304).

    A student always gets the student view (no key); `with_answers` (staff only, checked by the route) the file's
    content as deployed, with a different ETag."""
    check_module_id(module_id)
    stamp = cache.stamp(engine)
    entry = cache.get(module_id)
    if entry is None or entry.stamp != stamp:
        entry = _refresh(engine, cache, module_id, stamp)
    _refuse_unless_live(entry)
    if not offered_by_catalogue(principal, entry.university_id, entry.cohort):
        _require_assignment(engine, module_id, principal)
    view: View = "outline" if fields == "outline" else "answers" if with_answers and principal.staff else "full"
    etag = entry.etag(view)
    wanted = _etags(if_none_match)
    if etag in wanted or "*" in wanted:
        return ModuleAnswer(etag, None)
    return ModuleAnswer(etag, entry.body(view))


def _refresh(engine: Engine, cache: ModuleCache, module_id: str, stamp: DeployStamp) -> CachedModule:
    """Ask the database for the current revision: a light look when our copy may still be it, else a full read."""
    known = cache.get(module_id)
    with engine.connect() as conn:
        if known is not None:
            head = conn.execute(_HEAD_SQL, {"module_id": module_id}).first()
            if head is not None and (head.revision, head.content_hash) == (known.revision, known.content_hash):
                entry = CachedModule(
                    module_id,
                    known.revision,
                    known.content_hash,
                    head.archived_at,
                    head.university_id,
                    head.cohort,
                    known.bodies,
                    known.etags,
                    stamp,
                )
                cache.put(entry)
                return entry
        row = conn.execute(_MODULE_SQL, {"module_id": module_id}).mappings().first()
    if row is None:
        raise not_found(f"module {module_id!r}", "list the modules you can take with GET /api/v1/modules")
    entry = _serialise(dict(row), stamp)
    cache.put(entry)
    return entry


def _serialise(row: dict[str, Any], stamp: DeployStamp) -> CachedModule:
    sections = row["sections"]
    document: dict[str, Any] = {"module_id": row["module_id"]}
    document.update({c: row[c] for c in MODULE_COLUMNS})
    document["revision"] = row["revision"]
    document["content_hash"] = row["content_hash"]
    document["deployed_at"] = iso(row["deployed_at"])
    document["sections"] = sections
    student = {k: v for k, v in document.items() if k != "content_hash"}
    student["sections"] = [student_section(s) for s in sections]
    outline = {
        "module_id": row["module_id"],
        "title": row["title"],
        "revision": row["revision"],
        "sections": [{k: s[k] for k in ("section_id", "section_number", "section_type", "title")} for s in sections],
    }
    bodies: dict[View, bytes] = {"full": dumps(student), "outline": dumps(outline), "answers": dumps(document)}
    return CachedModule(
        row["module_id"],
        row["revision"],
        row["content_hash"],
        row["archived_at"],
        row["university_id"],
        row["cohort"],
        bodies,
        {view: _etag(row["revision"], view, body) for view, body in bodies.items()},
        stamp,
    )


def _etag(revision: int, view: View, body: bytes) -> str:
    """A hash of the body itself: the content hash would let a student test a guessed key against it."""
    digest = hashlib.sha256(body).hexdigest()[:24]
    return f'"r{revision}-{digest}{"" if view == "full" else "-" + view}"'


def _refuse_unless_live(entry: CachedModule) -> None:
    if entry.archived_at is not None:
        raise archived(entry.module_id, entry.archived_at)


def _require_assignment(engine: Engine, module_id: str, principal: Principal) -> None:
    with engine.connect() as conn:
        assigned = conn.execute(_ASSIGNED_SQL, {"module_id": module_id, "student_id": principal.student_id}).first()
    if assigned is None:
        raise ApiError(
            403,
            "not_offered",
            f"module {module_id!r} is not in your university's or cohort's catalogue and not assigned to you",
        )


def _etags(header: str) -> set[str]:
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
