"""Assignments (staff): which student must take which module, by when. Students read their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from pipeline.runtime.content import check_module_id
from pipeline.runtime.errors import ApiError, archived, not_found, unprocessable
from pipeline.runtime.storable import parse_timestamp
from pipeline.runtime.wire import iso

MAX_STUDENT_ID_LENGTH = 200

_UPSERT_SQL = text("""
    INSERT INTO module_assignments (module_id, student_id, assigned_by, due_at)
    VALUES (:module_id, :student, :by, :due_at)
    ON CONFLICT (module_id, student_id) DO UPDATE SET due_at = EXCLUDED.due_at, assigned_by = EXCLUDED.assigned_by
    RETURNING module_id, student_id, assigned_by, assigned_at, due_at, (xmax = 0) AS created
""")
_LIST_SQL = text("""
    SELECT a.module_id, a.student_id, a.assigned_by, a.assigned_at, a.due_at, m.title, m.archived_at IS NOT NULL
           AS archived
    FROM module_assignments a JOIN modules m ON m.module_id = a.module_id
    WHERE a.student_id = :student ORDER BY a.due_at NULLS LAST, a.module_id
""")


def check_student_id(student_id: str) -> None:
    if not student_id.strip() or len(student_id) > MAX_STUDENT_ID_LENGTH:
        raise unprocessable(f"a student id is 1 to {MAX_STUDENT_ID_LENGTH} characters")


def parse_assignment(body: Any) -> datetime | None:
    """The PUT body `{"due_at": ISO 8601 with a time zone, or null}` (an empty body: no due date)."""
    if body is None:
        return None
    if not isinstance(body, dict) or set(body) - {"due_at"}:
        raise unprocessable('send {"due_at": "2027-01-31T23:59:00Z"} or {"due_at": null}')
    due = body.get("due_at")
    if due is None:
        return None
    if not isinstance(due, str):
        raise unprocessable("due_at must be an ISO 8601 date-time such as 2027-01-31T23:59:00Z, or null")
    try:
        return parse_timestamp(due, "due_at", "2027-01-31T23:59:00Z")
    except ValueError as exc:
        raise unprocessable(str(exc)) from None


def assign(engine: Engine, staff_id: str, student_id: str, module_id: str, due_at: datetime | None) -> dict[str, Any]:
    """Assign (or re-date) a module to a student; returns the assignment and whether it is new."""
    check_student_id(student_id)
    check_module_id(module_id)
    with engine.begin() as conn:
        module = conn.execute(text("SELECT archived_at FROM modules WHERE module_id = :m"), {"m": module_id}).first()
        if module is None:
            raise not_found(f"module {module_id!r}", "assign a module that has been deployed")
        if module.archived_at is not None:
            raise archived(module_id, module.archived_at)
        row = conn.execute(
            _UPSERT_SQL, {"module_id": module_id, "student": student_id, "by": staff_id, "due_at": due_at}
        ).first()
    assert row is not None  # an upsert always returns its row
    return {**_assignment(row._mapping), "created": bool(row.created)}


def unassign(engine: Engine, student_id: str, module_id: str) -> None:
    """Remove an assignment (progress stays); 404 when there was none."""
    check_student_id(student_id)
    check_module_id(module_id)
    with engine.begin() as conn:
        gone = conn.execute(
            text("DELETE FROM module_assignments WHERE module_id = :m AND student_id = :s"),
            {"m": module_id, "s": student_id},
        ).rowcount
    if not gone:
        raise ApiError(404, "not_found", f"module {module_id!r} is not assigned to student {student_id!r}")


def list_assignments(engine: Engine, student_id: str) -> list[dict[str, Any]]:
    """A student's assignments, soonest due first (archived modules included, marked)."""
    check_student_id(student_id)
    with engine.connect() as conn:
        rows = conn.execute(_LIST_SQL, {"student": student_id}).mappings().all()
    return [{**_assignment(r), "title": r["title"], "archived": r["archived"]} for r in rows]


def _assignment(row: Any) -> dict[str, Any]:
    return {
        "module_id": row["module_id"],
        "student_id": row["student_id"],
        "due_at": iso(row["due_at"]),
        "assigned_by": row["assigned_by"],
        "assigned_at": iso(row["assigned_at"]),
    }
