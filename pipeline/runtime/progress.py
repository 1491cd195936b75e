"""Progress that survives revisions: idempotent, monotonic section progress keyed by the stable section_id.

After a deploy a kept section keeps its progress; a removed one keeps its row but no longer counts (only current
sections are counted and listed); a new one is not started; a section whose content hash moved after the student
completed it is flagged `changed_since_completion` (completing it again clears the flag).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Connection, Engine, text

from pipeline.runtime.access import check_module_access
from pipeline.runtime.auth import Principal
from pipeline.runtime.content import check_module_id
from pipeline.runtime.errors import ApiError, not_found, unprocessable
from pipeline.runtime.storable import check_text
from pipeline.runtime.student_view import GRADED_TYPES
from pipeline.runtime.wire import iso

ProgressState = Literal["started", "completed"]
SectionState = Literal["not_started", "started", "completed"]
ModuleState = Literal["locked", "available", "started", "completed"]

_SUMMARIES_SQL = text("""
    SELECT m.module_id, m.archived_at IS NULL AS live,
           (SELECT count(*) FROM module_sections s WHERE s.module_id = m.module_id) AS total,
           (SELECT count(*) FROM module_progress p
              JOIN module_sections s ON s.module_id = p.module_id AND s.section_id = p.section_id
             WHERE p.student_id = :student AND p.module_id = m.module_id AND p.state = 'completed') AS completed,
           EXISTS (SELECT 1 FROM module_progress p WHERE p.student_id = :student AND p.module_id = m.module_id)
             AS touched
    FROM modules m WHERE m.module_id = ANY(:ids)
""")
_HEAD_SQL = text("""
    SELECT m.revision, m.archived_at, m.prerequisites, m.university_id, m.cohort,
           EXISTS (SELECT 1 FROM module_assignments a WHERE a.module_id = m.module_id AND a.student_id = :student)
             AS assigned,
           EXISTS (SELECT 1 FROM module_progress p WHERE p.student_id = :student AND p.module_id = m.module_id)
             AS touched
    FROM modules m WHERE m.module_id = :module_id
""")
_RECORD_SQL = text("""
    WITH target AS (
        SELECT s.module_id, s.section_id, s.content_hash, m.revision
        FROM module_sections s JOIN modules m ON m.module_id = s.module_id
        WHERE s.module_id = :module_id AND s.section_id = :section_id AND m.archived_at IS NULL
    ), written AS (
        INSERT INTO module_progress (student_id, module_id, section_id, state, score, completed_at,
                                     completed_section_hash, completed_revision)
        SELECT :student, module_id, section_id, :state, :score,
               CASE WHEN :state = 'completed' THEN now() END,
               CASE WHEN :state = 'completed' THEN content_hash END,
               CASE WHEN :state = 'completed' THEN revision END
        FROM target
        ON CONFLICT (student_id, module_id, section_id) DO UPDATE SET
            state = CASE WHEN module_progress.state = 'completed' THEN 'completed' ELSE EXCLUDED.state END,
            score = GREATEST(module_progress.score, EXCLUDED.score),
            completed_at = coalesce(module_progress.completed_at, EXCLUDED.completed_at),
            completed_section_hash = coalesce(EXCLUDED.completed_section_hash, module_progress.completed_section_hash),
            completed_revision = coalesce(EXCLUDED.completed_revision, module_progress.completed_revision),
            updated_at = now()
        RETURNING state, score, completed_at, completed_section_hash
    )
    SELECT w.state, w.score, w.completed_at, w.completed_section_hash IS DISTINCT FROM t.content_hash
           AND w.state = 'completed' AS changed
    FROM written w CROSS JOIN target t
""")
_SECTION_TYPE_SQL = text(
    "SELECT section_type FROM module_sections WHERE module_id = :module_id AND section_id = :section_id"
)
_MODULE_PROGRESS_SQL = text("""
    SELECT m.revision, m.archived_at, m.prerequisites, m.university_id, m.cohort,
           EXISTS (SELECT 1 FROM module_assignments a WHERE a.module_id = m.module_id AND a.student_id = :student)
             AS assigned,
           s.section_id, s.title, s.section_number, s.content_hash,
           p.state, p.score, p.completed_at, p.completed_section_hash
    FROM modules m
    LEFT JOIN module_sections s ON s.module_id = m.module_id
    LEFT JOIN module_progress p
           ON p.student_id = :student AND p.module_id = s.module_id AND p.section_id = s.section_id
    WHERE m.module_id = :module_id
    ORDER BY s.section_number
""")
_STATS_SQL = text("""
    SELECT s.section_id, s.title, s.section_number,
           count(p.id) AS started,
           count(p.id) FILTER (WHERE p.state = 'completed') AS completed,
           count(p.id) FILTER (WHERE p.state = 'completed' AND p.completed_section_hash IS DISTINCT FROM s.content_hash)
             AS changed_since_completion,
           round(avg(p.score), 1)::float AS average_score
    FROM module_sections s
    LEFT JOIN module_progress p ON p.module_id = s.module_id AND p.section_id = s.section_id
    WHERE s.module_id = :module_id
    GROUP BY s.section_id, s.title, s.section_number ORDER BY s.section_number
""")
_LEARNERS_SQL = text("""
    SELECT count(*) AS learners, count(*) FILTER (WHERE done = total AND total > 0) AS completed
    FROM (SELECT p.student_id, count(s.section_id) FILTER (WHERE p.state = 'completed') AS done,
                 (SELECT count(*) FROM module_sections x WHERE x.module_id = :module_id) AS total
          FROM module_progress p
          LEFT JOIN module_sections s ON s.module_id = p.module_id AND s.section_id = p.section_id
          WHERE p.module_id = :module_id GROUP BY p.student_id) per_student
""")


@dataclass(frozen=True)
class ModuleSummary:
    """A student's standing in one module, counted over its current sections only."""

    module_id: str
    live: bool
    total: int
    completed: int
    touched: bool  # any progress row, current section or not

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 100 only when every current section is completed."""
        return self.completed * 100 // self.total if self.total else 0

    @property
    def done(self) -> bool:
        return self.total > 0 and self.completed >= self.total


def module_summaries(conn: Connection, student_id: str, module_ids: Sequence[str]) -> dict[str, ModuleSummary]:
    """Summaries of `module_ids` for one student, in one statement."""
    if not module_ids:
        return {}
    rows = conn.execute(_SUMMARIES_SQL, {"student": student_id, "ids": list(module_ids)}).all()
    return {r.module_id: ModuleSummary(r.module_id, r.live, r.total, r.completed, r.touched) for r in rows}


def missing_prerequisites(prerequisites: Sequence[str], summaries: Mapping[str, ModuleSummary]) -> list[str]:
    """Prerequisites not completed yet; one archived or never deployed cannot be taken, so it does not lock."""
    return [p for p in prerequisites if p in summaries and summaries[p].live and not summaries[p].done]


def module_state(summary: ModuleSummary | None, missing: Sequence[str]) -> ModuleState:
    if summary is not None and summary.done:
        return "completed"
    if summary is not None and summary.touched:
        return "started"
    return "locked" if missing else "available"


def parse_progress(body: Any) -> tuple[ProgressState, int | None]:
    """The PUT body `{"state": "started" | "completed", "score": 0-100}`, or a 422 naming every problem in it."""
    if not isinstance(body, dict):
        raise unprocessable('send a JSON object such as {"state": "completed", "score": 80}')
    problems = []
    unknown = sorted(set(body) - {"state", "score"})
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}; the body takes state and score")
    state = body.get("state")
    if state not in ("started", "completed"):
        problems.append(f"state must be 'started' or 'completed', not {_shown(state)}")
    score = body.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100):
        problems.append(f"score must be a whole number from 0 to 100, not {_shown(score)}")
    if problems:
        raise unprocessable("; ".join(problems))
    return cast(ProgressState, state), score


def _shown(value: Any) -> str:
    return repr(value)[:40]


def record_progress(
    engine: Engine, principal: Principal, module_id: str, section_id: str, state: ProgressState, score: int | None
) -> dict[str, Any]:
    """Record a section's progress for the token's student; repeating it changes nothing, completed stays."""
    check_module_id(module_id)
    try:
        check_text(section_id, "section_id")
    except ValueError as exc:
        raise unprocessable(str(exc)) from None
    student = principal.student_id
    with engine.begin() as conn:
        head = conn.execute(_HEAD_SQL, {"module_id": module_id, "student": student}).first()
        check_may_record(conn, principal, module_id, head)
        assert head is not None  # check_may_record refuses a module that does not exist
        if state == "completed" or score is not None:
            _refuse_graded_completion(conn, module_id, section_id)
        row = write_section_progress(conn, student, module_id, section_id, state, score)
        if row is None:
            raise not_found(
                f"section {section_id[:80]!r} in revision {head.revision} of module {module_id!r}",
                f"read the module's current sections with GET /api/v1/modules/{module_id}?fields=outline",
            )
    return {
        "module_id": module_id,
        "section_id": section_id,
        "state": row.state,
        "score": row.score,
        "completed_at": iso(row.completed_at),
        "changed_since_completion": bool(row.changed),
    }


def check_may_record(conn: Connection, principal: Principal, module_id: str, head: Any) -> None:
    """The rule for writing a student's progress in a module: it exists, is live, is offered or assigned to them,
    and is not locked by prerequisites. `head` is a row with archived_at, assigned, university_id, cohort,
    prerequisites and touched (None: no such module)."""
    if head is None:
        raise not_found(f"module {module_id!r}", "list your modules with GET /api/v1/modules")
    check_module_access(
        principal, module_id, head.archived_at, head.university_id, head.cohort, lambda: bool(head.assigned)
    )
    if head.prerequisites and not head.touched:  # a module once started stays open
        summaries = module_summaries(conn, principal.student_id, [module_id, *head.prerequisites])
        missing = missing_prerequisites(head.prerequisites, summaries)
        if missing:
            raise ApiError(
                409,
                "locked",
                f"module {module_id!r} is locked until you complete {', '.join(missing)}",
            )


def write_section_progress(
    conn: Connection, student_id: str, module_id: str, section_id: str, state: ProgressState, score: int | None
) -> Any:
    """Upsert one section's progress (completed stays, best score kept); the row, or None for no such section."""
    params = {"module_id": module_id, "section_id": section_id, "student": student_id, "state": state, "score": score}
    return conn.execute(_RECORD_SQL, params).first()


def _refuse_graded_completion(conn: Connection, module_id: str, section_id: str) -> None:
    """Quiz and interactive sections complete, and score, only through graded attempts."""
    kind = conn.execute(_SECTION_TYPE_SQL, {"module_id": module_id, "section_id": section_id}).scalar()
    if kind in GRADED_TYPES:
        raise unprocessable(
            f"section {section_id!r} is a {kind} section: its completion and score come from the server's grade; "
            f"post an attempt to /api/v1/me/modules/{module_id}/sections/{section_id}/attempts "
            '(a PUT may only say {"state": "started"})'
        )


def read_module_progress(engine: Engine, reader: Principal, student_id: str, module_id: str) -> dict[str, Any]:
    """Each current section's state, the percent, where to resume and the prerequisites still missing.

    `reader` is who asks (the access rule is theirs): the student themself, or staff reading `student_id`."""
    check_module_id(module_id)
    with engine.connect() as conn:
        rows = conn.execute(_MODULE_PROGRESS_SQL, {"module_id": module_id, "student": student_id}).all()
        if not rows:
            raise not_found(f"module {module_id!r}", "list your modules with GET /api/v1/modules")
        head = rows[0]
        check_module_access(
            reader, module_id, head.archived_at, head.university_id, head.cohort, lambda: bool(head.assigned)
        )
        summaries = module_summaries(conn, student_id, [module_id, *head.prerequisites])
    sections = [_section_progress(r) for r in rows if r.section_id is not None]
    missing = missing_prerequisites(head.prerequisites, summaries)
    summary = summaries.get(module_id)
    return {
        "module_id": module_id,
        "student_id": student_id,
        "revision": head.revision,
        "state": module_state(summary, missing),
        "percent": summary.percent if summary else 0,
        "resume_section_id": _resume(sections),
        "missing_prerequisites": missing,
        "sections": sections,
    }


def _section_progress(row: Any) -> dict[str, Any]:
    state: SectionState = row.state or "not_started"
    return {
        "section_id": row.section_id,
        "title": row.title,
        "state": state,
        "score": row.score,
        "completed_at": iso(row.completed_at),
        "changed_since_completion": state == "completed" and row.completed_section_hash != row.content_hash,
    }


def _resume(sections: Sequence[Mapping[str, Any]]) -> str | None:
    """The first section not completed, in order; else the first one that changed since; else None (all done)."""
    for section in sections:
        if section["state"] != "completed":
            return str(section["section_id"])
    for section in sections:
        if section["changed_since_completion"]:
            return str(section["section_id"])
    return None


def module_stats(engine: Engine, module_id: str) -> dict[str, Any]:
    """Completion per current section, for staff; an archived module's history is still readable."""
    check_module_id(module_id)
    with engine.connect() as conn:
        head = conn.execute(text("SELECT revision, archived_at FROM modules WHERE module_id = :m"), {"m": module_id})
        module = head.first()
        if module is None:
            raise not_found(f"module {module_id!r}", "list modules with GET /api/v1/modules")
        sections = [dict(r) for r in conn.execute(_STATS_SQL, {"module_id": module_id}).mappings()]
        learners = conn.execute(_LEARNERS_SQL, {"module_id": module_id}).first()
    return {
        "module_id": module_id,
        "revision": module.revision,
        "archived": module.archived_at is not None,
        "learners": learners.learners if learners else 0,
        "completed": learners.completed if learners else 0,
        "sections": sections,
    }
