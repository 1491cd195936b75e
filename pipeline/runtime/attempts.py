"""POST /api/v1/me/modules/{id}/sections/{section_id}/attempts: a quiz or interactive attempt, graded here.

One transaction: the module row is read FOR SHARE (a deploy waits for the attempt, so it is graded and recorded
against one revision), the student's attempts at the section are serialised by an advisory lock, then the attempt
row, the section's progress (completed only when passed, best score kept) and an `answered` event are written.

Revisions: the client says which revision it was served. When that is the live one, it is graded against the live
section. When a later revision is live, the attempt is graded only if the section's graded content (questions,
choices, key; hotspots and criteria) is the same in both; otherwise the served questions are gone and the answer
is a 409 naming the live revision, so an attempt is never graded against questions the student did not see.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from pipeline.runtime.auth import Principal
from pipeline.runtime.content import check_module_id
from pipeline.runtime.errors import ApiError, not_found, unprocessable
from pipeline.runtime.experiments import served_arm
from pipeline.runtime.grading import AttemptRequest, Grade, grade
from pipeline.runtime.progress import ProgressState, check_may_record, write_section_progress
from pipeline.runtime.student_view import GRADED_TYPES
from pipeline.runtime.wire import iso

# The `answered` event of an attempt has an id derived from the attempt's, so it can never collide with (or be
# replaced by) an event the client sends.
ATTEMPT_EVENTS = uuid.UUID("6f1c3a52-2d0e-4b8e-9a57-5f0d7c1e2b90")

_HEAD_SQL = text("""
    SELECT m.revision, m.archived_at, m.prerequisites, m.university_id, m.cohort,
           EXISTS (SELECT 1 FROM module_assignments a WHERE a.module_id = m.module_id AND a.student_id = :student)
             AS assigned,
           EXISTS (SELECT 1 FROM module_progress p WHERE p.student_id = :student AND p.module_id = m.module_id)
             AS touched,
           s.section_type, s.content, s.content_hash
    FROM modules m
    LEFT JOIN module_sections s ON s.module_id = m.module_id AND s.section_id = :section_id
    WHERE m.module_id = :module_id
    FOR SHARE OF m
""")
_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 20))")
_SERVED_SECTION_SQL = text("""
    SELECT jsonb_path_query_first(document, '$.sections[*] ? (@.section_id == $id)',
                                  jsonb_build_object('id', :section_id)) AS section
    FROM module_revisions WHERE module_id = :module_id AND revision = :revision
""")
_EARLIER_SQL = text("""
    SELECT client_attempt_id::text AS client_attempt_id, student_id, module_id, section_id, revision, attempt_number,
           score, passed, answers
    FROM module_attempts WHERE client_attempt_id = CAST(:id AS uuid)
""")
_COUNT_SQL = text("""
    SELECT coalesce(max(attempt_number), 0) AS last, count(*) FILTER (WHERE section_hash = :hash) AS at_this_version
    FROM module_attempts WHERE student_id = :student AND module_id = :module_id AND section_id = :section_id
""")
# experiment_id / arm: stamped by the server from the student's assignment row when the section is in a running arm.
_INSERT_SQL = text("""
    INSERT INTO module_attempts (client_attempt_id, student_id, module_id, section_id, revision, attempt_number,
                                 score, passed, questions, answers, duration_ms, experiment_id, arm, section_hash)
    VALUES (CAST(:id AS uuid), :student, :module_id, :section_id, :revision, :number, :score, :passed,
            CAST(:questions AS jsonb), CAST(:answers AS jsonb), :duration_ms, :experiment_id, :arm, :section_hash)
""")
_EVENT_SQL = text("""
    INSERT INTO module_analytics_events (event_uuid, module_id, section_id, student_id, event_type, payload,
                                         occurred_at, revision)
    VALUES (CAST(:id AS uuid), :module_id, :section_id, :student, 'answered', CAST(:payload AS jsonb), :at, :revision)
    ON CONFLICT (event_uuid) DO NOTHING
""")
_PROGRESS_SQL = text("""
    SELECT p.state, p.score, p.completed_at, p.completed_section_hash IS DISTINCT FROM s.content_hash
           AND p.state = 'completed' AS changed
    FROM module_progress p
    JOIN module_sections s ON s.module_id = p.module_id AND s.section_id = p.section_id
    WHERE p.student_id = :student AND p.module_id = :module_id AND p.section_id = :section_id
""")


def submit_attempt(
    engine: Engine, principal: Principal, module_id: str, section_id: str, attempt: AttemptRequest
) -> tuple[dict[str, Any], bool]:
    """Grade and record `attempt`; the answer and True when it is new, False when it repeats a stored one."""
    check_module_id(module_id)
    student = principal.student_id
    where = {"module_id": module_id, "section_id": section_id, "student": student}
    with engine.begin() as conn:
        head = conn.execute(_HEAD_SQL, where).first()
        check_may_record(conn, principal, module_id, head)
        assert head is not None  # check_may_record refuses a module that does not exist
        conn.execute(_LOCK_SQL, {"key": f"{student}\x1f{module_id}\x1f{section_id}"})
        earlier = conn.execute(_EARLIER_SQL, {"id": attempt.client_attempt_id}).first()
        if earlier is not None:
            return _repeat(conn, earlier, attempt, where, head), False
        content = _graded_content(conn, head, module_id, section_id, attempt.revision)
        counts = conn.execute(_COUNT_SQL, {**where, "hash": head.content_hash}).one()
        limit = content.get("max_attempts")
        if limit is not None and counts.at_this_version >= limit:
            raise ApiError(
                409,
                "no_attempts_left",
                f"you have used all {limit} attempt(s) at section {section_id!r} "
                f"({counts.at_this_version} made); it allows no more until the section changes",
            )
        result = grade(head.section_type, content, attempt)
        number = counts.last + 1
        _record(conn, where, attempt, result, number, head.content_hash)
        answer = _answer(module_id, section_id, attempt.revision, number, result.score, result.passed)
        answer["questions"] = result.feedback
        answer.update(_standing(conn, where, limit, counts.at_this_version + 1))
    return answer, True


def _graded_content(conn: Connection, head: Any, module_id: str, section_id: str, revision: int) -> dict[str, Any]:
    """The live section's content when the served revision had the same; else the refusal that says why not."""
    if revision > head.revision:
        raise unprocessable(
            f"revision {revision} of module {module_id!r} was never served; the live revision is {head.revision}"
        )
    if revision < head.revision:
        served = conn.execute(_SERVED_SECTION_SQL, {**_ids(module_id, section_id), "revision": revision}).first()
        if served is None:
            raise unprocessable(f"revision {revision} of module {module_id!r} was never deployed")
        if served.section is None:
            raise unprocessable(
                f"section {section_id!r} is not in revision {revision} of module {module_id!r}; fetch the module again"
            )
        if head.section_type is None or served.section["content"] != head.content:
            raise ApiError(
                409,
                "revision_changed",
                f"section {section_id!r} changed in revision {head.revision} of module {module_id!r}, which is now "
                f"live: the questions of revision {revision} are gone; fetch the module again and answer revision "
                f"{head.revision}",
            )
    if head.section_type is None:
        raise not_found(
            f"section {section_id[:80]!r} in revision {head.revision} of module {module_id!r}",
            f"read the module's current sections with GET /api/v1/modules/{module_id}?fields=outline",
        )
    if head.section_type not in GRADED_TYPES:
        raise unprocessable(
            f"section {section_id!r} is a {head.section_type} section: only quiz and interactive sections take "
            "attempts (record its progress with PUT …/progress)"
        )
    content: dict[str, Any] = head.content
    return content


def _record(
    conn: Connection, where: dict[str, str], attempt: AttemptRequest, result: Grade, number: int, section_hash: str
) -> None:
    """The attempt row, the section's progress and the `answered` event, in the caller's transaction."""
    # The arm comes from the server's own assignment row, never from the client.
    served = served_arm(conn, where["student"], where["module_id"], where["section_id"])
    conn.execute(
        _INSERT_SQL,
        {
            **where,
            "id": attempt.client_attempt_id,
            "revision": attempt.revision,
            "number": number,
            "score": result.score,
            "passed": result.passed,
            "questions": json.dumps(result.questions),
            "answers": json.dumps(attempt.submitted()),
            "duration_ms": attempt.duration_ms,
            "experiment_id": served.experiment_id if served else None,
            "arm": served.arm if served else None,
            "section_hash": section_hash,
        },
    )
    state: ProgressState = "completed" if result.passed else "started"
    write_section_progress(conn, where["student"], where["module_id"], where["section_id"], state, result.score)
    now = datetime.now(UTC)
    outcome: dict[str, Any] = {"score": result.score, "success": result.passed, "completion": result.passed}
    if attempt.duration_ms is not None:
        outcome["duration"] = f"PT{attempt.duration_ms / 1000:g}S"
    payload = {
        "verb": "answered",
        "object": {"module_id": where["module_id"], "section_id": where["section_id"], "revision": attempt.revision},
        "result": outcome,
        "context": {"attempt": number, "client_attempt_id": attempt.client_attempt_id, "graded_by": "server"},
        "timestamp": iso(now),
    }
    conn.execute(
        _EVENT_SQL,
        {
            **where,
            "id": str(uuid.uuid5(ATTEMPT_EVENTS, attempt.client_attempt_id)),
            "payload": json.dumps(payload, sort_keys=True),
            "at": now,
            "revision": attempt.revision,
        },
    )


def _repeat(
    conn: Connection, earlier: Any, attempt: AttemptRequest, where: dict[str, str], head: Any
) -> dict[str, Any]:
    """The stored attempt's answer again, when the retry is the same post; a 409 when the id was used for another."""
    same = (
        (earlier.student_id, earlier.module_id, earlier.section_id)
        == (where["student"], where["module_id"], where["section_id"])
        and earlier.revision == attempt.revision
        and earlier.answers == attempt.submitted()
    )
    if not same:
        raise ApiError(
            409,
            "attempt_id_reused",
            f"client_attempt_id {attempt.client_attempt_id} was already used for another attempt; "
            "a new attempt needs a new UUID",
        )
    served = conn.execute(
        _SERVED_SECTION_SQL, {**_ids(earlier.module_id, earlier.section_id), "revision": earlier.revision}
    )
    section = served.one().section
    regraded = grade(section["section_type"], section["content"], attempt)
    answer = _answer(
        earlier.module_id, earlier.section_id, earlier.revision, earlier.attempt_number, earlier.score, earlier.passed
    )
    answer["questions"] = regraded.feedback
    limit = head.content.get("max_attempts") if isinstance(head.content, dict) else None
    made = conn.execute(_COUNT_SQL, {**where, "hash": head.content_hash}).one().at_this_version
    answer.update(_standing(conn, where, limit, made))
    return answer


def _answer(module_id: str, section_id: str, revision: int, number: int, score: int, passed: bool) -> dict[str, Any]:
    return {
        "module_id": module_id,
        "section_id": section_id,
        "revision": revision,
        "attempt": number,
        "score": score,
        "passed": passed,
    }


def _standing(conn: Connection, where: dict[str, str], limit: int | None, made: int) -> dict[str, Any]:
    """What the student has now: attempts left at this version of the section, and the section's progress."""
    row = conn.execute(_PROGRESS_SQL, where).first()
    progress = {
        "state": row.state if row else "not_started",
        "score": row.score if row else None,
        "completed_at": iso(row.completed_at) if row else None,
        "changed_since_completion": bool(row.changed) if row else False,
    }
    return {"attempts_left": None if limit is None else max(limit - made, 0), "progress": progress}


def _ids(module_id: str, section_id: str) -> dict[str, str]:
    return {"module_id": module_id, "section_id": section_id}
