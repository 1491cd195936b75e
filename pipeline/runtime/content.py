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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, text

from pipeline.deploy.plan import MODULE_COLUMNS
from pipeline.module.document import is_valid_id
from pipeline.module.experiments import Arm, Experiment, experiment_from, sections_for_arms
from pipeline.runtime.auth import Principal
from pipeline.runtime.errors import ApiError, archived, not_found
from pipeline.runtime.experiments import ArmMemory, staff_arms, student_arms
from pipeline.runtime.wire import dumps, iso

Fields = Literal["full", "outline"]
CACHED_MODULES = 4096  # per worker; a revision of a large module is some tens of kB
SECTION_FIELDS = ("section_number", "section_type", "title", "content", "media_url", "duration_seconds")

_MODULE_SQL = text(f"""SELECT m.module_id, m.revision, m.content_hash, m.archived_at, m.deployed_at,
           {", ".join("m." + c for c in MODULE_COLUMNS)},
           coalesce((SELECT jsonb_agg(jsonb_build_object('section_id', s.section_id,
                            {", ".join(f"'{c}', s.{c}" for c in SECTION_FIELDS)}) ORDER BY s.section_number)
                     FROM module_sections s WHERE s.module_id = m.module_id), '[]'::jsonb) AS sections,
           (SELECT r.document->'experiments' FROM module_revisions r
            WHERE r.module_id = m.module_id AND r.revision = m.revision) AS experiments
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
    full: bytes
    outline: bytes
    stamp: DeployStamp  # the deploy stamp under which the database last said this is the current revision
    running: tuple[Experiment, ...] = ()  # the revision's running experiments
    row: dict[str, Any] | None = field(default=None, repr=False)  # what the arms' bodies are built from
    # arm ids (one per running experiment) -> (full, outline), built on first use; all-control is `full`/`outline`
    variants: dict[tuple[str, ...], tuple[bytes, bytes]] = field(default_factory=dict, repr=False, compare=False)

    def etag(self, fields: Fields, arms: Sequence[Arm] = ()) -> str:
        digest = self.content_hash.removeprefix("sha256:")[:24]
        key = self._variant_key(arms)
        arm = "-a" + hashlib.sha256("/".join(key).encode()).hexdigest()[:8] if key else ""
        return f'"r{self.revision}-{digest}{arm}{"-outline" if fields == "outline" else ""}"'

    def body(self, fields: Fields, arms: Sequence[Arm] = ()) -> bytes:
        key = self._variant_key(arms)
        if not key:
            return self.outline if fields == "outline" else self.full
        bodies = self.variants.get(key)
        if bodies is None:
            assert self.row is not None
            sections = sections_for_arms(self.row["sections"], arms)
            variant = _serialise({**self.row, "sections": [_section_fields(s) for s in sections]}, self.stamp)
            bodies = self.variants.setdefault(key, (variant.full, variant.outline))
        return bodies[1] if fields == "outline" else bodies[0]

    def _variant_key(self, arms: Sequence[Arm]) -> tuple[str, ...]:
        """The arms' ids, or () when every arm is its experiment's control (the sections as written)."""
        if all(arm is experiment.control for arm, experiment in zip(arms, self.running, strict=True)):
            return ()
        return tuple(arm.arm_id for arm in arms)


@dataclass(frozen=True)
class ModuleAnswer:
    """What GET /api/v1/modules/{id} answers: the body (None for 304) and its ETag."""

    etag: str
    body: bytes | None


class ModuleCache:
    """Per-worker copies of current revisions, valid while the deploy stamp (re-read every `ttl` s) stays put;
    and the experiment arms this worker has seen assigned."""

    def __init__(self, ttl: float, capacity: int = CACHED_MODULES) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.arms = ArmMemory()
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
    arm: str | None = None,
) -> ModuleAnswer:
    """The module's current revision for `principal`, in their arm of each running experiment (staff: `arm`, else
    the control); body None when `if_none_match` already names it (304)."""
    check_module_id(module_id)
    stamp = cache.stamp(engine)
    entry = cache.get(module_id)
    if entry is None or entry.stamp != stamp:
        entry = _refresh(engine, cache, module_id, stamp)
    _refuse_unless_live(entry)
    if not offered_by_catalogue(principal, entry.university_id, entry.cohort):
        _require_assignment(engine, module_id, principal)
    if arm is not None and not principal.staff:
        raise ApiError(403, "forbidden", "only staff choose an arm (arm=…); a student sees the arm assigned to them")
    arms: tuple[Arm, ...] = ()
    if entry.running:
        arms = (
            staff_arms(entry.running, arm)
            if principal.staff
            else student_arms(engine, cache.arms, module_id, entry.revision, entry.running, principal.student_id)
        )
    elif arm is not None:
        staff_arms((), arm)  # says the module runs no experiment
    etag = entry.etag(fields, arms)
    wanted = _etags(if_none_match)
    if etag in wanted or "*" in wanted:
        return ModuleAnswer(etag, None)
    return ModuleAnswer(etag, entry.body(fields, arms))


def _refresh(engine: Engine, cache: ModuleCache, module_id: str, stamp: DeployStamp) -> CachedModule:
    """Ask the database for the current revision: a light look when our copy may still be it, else a full read."""
    known = cache.get(module_id)
    with engine.connect() as conn:
        if known is not None:
            head = conn.execute(_HEAD_SQL, {"module_id": module_id}).first()
            if head is not None and (head.revision, head.content_hash) == (known.revision, known.content_hash):
                entry = replace(
                    known,
                    archived_at=head.archived_at,
                    university_id=head.university_id,
                    cohort=head.cohort,
                    stamp=stamp,
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
    outline = {
        "module_id": row["module_id"],
        "title": row["title"],
        "revision": row["revision"],
        "content_hash": row["content_hash"],
        "sections": [{k: s[k] for k in ("section_id", "section_number", "section_type", "title")} for s in sections],
    }
    running = tuple(experiment_from(raw) for raw in row.get("experiments") or () if raw.get("status") == "running")
    return CachedModule(
        row["module_id"],
        row["revision"],
        row["content_hash"],
        row["archived_at"],
        row["university_id"],
        row["cohort"],
        dumps(document),
        dumps(outline),
        stamp,
        running,
        row if running else None,
    )


def _section_fields(section: Any) -> dict[str, Any]:
    """An arm's section as the runtime serves sections (the stored columns, absent ones as null)."""
    return {"section_id": section["section_id"], **{c: section.get(c) for c in SECTION_FIELDS}}


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
