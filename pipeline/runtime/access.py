"""The one access rule: may this caller use this module? Applied by every route that names a module.

A module is open to a student when it exists, is not archived, and is assigned to them or offered by the catalogue
(the token's university and cohort claims; a module without a cohort is open to every cohort). Staff may use
every module. The module fetch, progress read and write, each event of a batch and each attempt ask
`require_module_access` (or, holding the module's row already, `check_module_access`), so a route cannot answer
what another refuses: a module another cohort's catalogue holds is a 403 everywhere, an archived one a 410.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from pipeline.module.document import is_valid_id
from pipeline.runtime.auth import Principal
from pipeline.runtime.errors import ApiError, archived, not_found

_ACCESS_SQL = text("""
    SELECT m.module_id, m.revision, m.archived_at, m.university_id, m.cohort,
           EXISTS (SELECT 1 FROM module_assignments a WHERE a.module_id = m.module_id AND a.student_id = :student)
             AS assigned,
           coalesce((SELECT array_agg(s.section_id) FROM module_sections s WHERE s.module_id = m.module_id),
                    '{}') AS section_ids
    FROM modules m WHERE m.module_id = ANY(:ids)
""")


@dataclass(frozen=True)
class ModuleAccess:
    """What the access rule and per-item checks need of one module: its current revision and sections."""

    module_id: str
    revision: int
    archived_at: datetime | None
    university_id: str
    cohort: str | None
    assigned: bool
    section_ids: frozenset[str]


def offered_by_catalogue(principal: Principal, university_id: str, cohort: str | None) -> bool:
    """The catalogue rule: staff see everything; a university or cohort claim narrows what a student sees."""
    if principal.staff:
        return True
    if principal.university and principal.university != university_id:
        return False
    return not (principal.cohort and cohort and principal.cohort != cohort)


def check_module_access(
    principal: Principal,
    module_id: str,
    archived_at: datetime | None,
    university_id: str,
    cohort: str | None,
    is_assigned: Callable[[], bool],
) -> None:
    """The access rule over a module's row (found): ApiError 410 when archived, 403 when not offered to `principal`.

    `is_assigned` is asked only when the catalogue does not offer the module (it may cost a query)."""
    if archived_at is not None:
        raise archived(module_id, archived_at)
    if not offered_by_catalogue(principal, university_id, cohort) and not is_assigned():
        raise ApiError(
            403,
            "not_offered",
            f"module {module_id!r} is not in your university's or cohort's catalogue and not assigned to you",
        )


def read_module_access(conn: Connection, principal: Principal, module_ids: Sequence[str]) -> dict[str, ModuleAccess]:
    """The modules among `module_ids` that exist, with what the rule needs, in one statement."""
    wanted = sorted({m for m in module_ids if is_valid_id(m)})
    if not wanted:
        return {}
    rows = conn.execute(_ACCESS_SQL, {"ids": wanted, "student": principal.student_id}).all()
    return {
        r.module_id: ModuleAccess(
            r.module_id, r.revision, r.archived_at, r.university_id, r.cohort, r.assigned, frozenset(r.section_ids)
        )
        for r in rows
    }


def module_refusal(principal: Principal, module_id: str, access: ModuleAccess | None) -> ApiError | None:
    """Why `principal` may not use the module (404 unknown, 410 archived, 403 not offered), or None."""
    if access is None:
        return not_found(f"module {module_id[:80]!r}", "list your modules with GET /api/v1/modules")
    try:
        check_module_access(
            principal, module_id, access.archived_at, access.university_id, access.cohort, lambda: access.assigned
        )
    except ApiError as refusal:
        return refusal
    return None


def require_module_access(conn: Connection, principal: Principal, module_id: str) -> ModuleAccess:
    """The access rule for a route that names one module: its ModuleAccess, or the ApiError (404/410/403) to answer."""
    access = read_module_access(conn, principal, [module_id]).get(module_id)
    refusal = module_refusal(principal, module_id, access)
    if refusal is not None:
        raise refusal
    assert access is not None
    return access
