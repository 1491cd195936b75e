"""GET /api/v1/modules: the live modules a student may take, with their state, by keyset pages.

What a student sees: the modules assigned to them, plus the catalogue — every live module, narrowed by the
token's `university` and `cohort` claims (a module without a cohort is open to every cohort). The query's own
filters (category, tag, university, cohort, assigned) narrow it further. Pages are ordered by module_id and
continue after the last id of the previous page, so a deploy between two pages never skips or repeats a module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from pipeline.module.document import is_valid_id, unstorable_text
from pipeline.runtime.auth import Principal
from pipeline.runtime.errors import unprocessable
from pipeline.runtime.progress import missing_prerequisites, module_state, module_summaries
from pipeline.runtime.storable import parse_whole_number
from pipeline.runtime.wire import iso

DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_FILTER_LENGTH = 200
FILTERS = ("category", "tag", "university", "cohort")

_PAGE_SQL = text("""
    SELECT m.module_id, m.title, m.description, m.category, m.estimated_minutes, m.tags, m.university_id,
           m.cohort, m.revision, m.prerequisites, a.due_at, a.id IS NOT NULL AS assigned
    FROM modules m
    LEFT JOIN module_assignments a ON a.module_id = m.module_id AND a.student_id = :student
    WHERE m.archived_at IS NULL
      AND m.module_id > :after
      AND (a.id IS NOT NULL OR :staff
           OR ((CAST(:my_university AS text) IS NULL OR m.university_id = :my_university)
               AND (CAST(:my_cohort AS text) IS NULL OR m.cohort IS NULL OR m.cohort = :my_cohort)))
      AND (CAST(:category AS text) IS NULL OR m.category = :category)
      AND (CAST(:tag AS text) IS NULL OR m.tags ? CAST(:tag AS text))
      AND (CAST(:university AS text) IS NULL OR m.university_id = :university)
      AND (CAST(:cohort AS text) IS NULL OR m.cohort = :cohort)
      AND (NOT :assigned_only OR a.id IS NOT NULL)
    ORDER BY m.module_id
    LIMIT :limit
""")


@dataclass(frozen=True)
class CatalogueQuery:
    """The list's parameters, checked."""

    limit: int = DEFAULT_PAGE
    after: str = ""
    assigned_only: bool = False
    category: str | None = None
    tag: str | None = None
    university: str | None = None
    cohort: str | None = None

    def next_parameters(self, after: str) -> dict[str, str]:
        """The query string of the page after `after`, keeping the filters."""
        params = {"limit": str(self.limit), "after": after}
        if self.assigned_only:
            params["assigned"] = "true"
        params.update({name: value for name in FILTERS if (value := getattr(self, name))})
        return params


def parse_catalogue_query(args: Mapping[str, str]) -> CatalogueQuery:
    """CatalogueQuery from the request's query string, or a 422 naming the bad parameter."""
    unknown = sorted(set(args) - {"limit", "after", "assigned", *FILTERS})
    if unknown:
        raise unprocessable(f"unknown query parameter(s) {', '.join(unknown)}")
    try:
        limit = parse_whole_number(args.get("limit", str(DEFAULT_PAGE)), "limit", 1, MAX_PAGE)
    except ValueError as exc:
        raise unprocessable(str(exc)) from None
    after = args.get("after", "")
    if after and not is_valid_id(after):
        raise unprocessable("after must be the module_id of the last module of the previous page")
    assigned = args.get("assigned", "false")
    if assigned not in ("true", "false"):
        raise unprocessable(f"assigned must be true or false, not {assigned[:20]!r}")
    filters: dict[str, str | None] = {}
    for name in FILTERS:
        value = args.get(name)
        if value is not None and not 1 <= len(value) <= MAX_FILTER_LENGTH:
            raise unprocessable(f"{name} must be 1 to {MAX_FILTER_LENGTH} characters")
        unstorable = unstorable_text(value)
        if unstorable:
            raise unprocessable(f"{name}: {unstorable[1]}")
        filters[name] = value
    return CatalogueQuery(limit, after, assigned == "true", **filters)


def list_modules(engine: Engine, principal: Principal, query: CatalogueQuery) -> tuple[list[dict[str, Any]], bool]:
    """One page of the student's modules, and whether another page follows."""
    params = {
        "student": principal.student_id,
        "staff": principal.staff,
        "my_university": principal.university,
        "my_cohort": principal.cohort,
        "after": query.after,
        "assigned_only": query.assigned_only,
        "limit": query.limit + 1,
        **{name: getattr(query, name) for name in FILTERS},
    }
    with engine.connect() as conn:
        rows = conn.execute(_PAGE_SQL, params).mappings().all()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        wanted = {r["module_id"] for r in rows} | {p for r in rows for p in r["prerequisites"]}
        summaries = module_summaries(conn, principal.student_id, sorted(wanted))
    modules = []
    for row in rows:
        summary = summaries.get(row["module_id"])
        missing = missing_prerequisites(row["prerequisites"], summaries)
        modules.append(
            {
                "module_id": row["module_id"],
                "title": row["title"],
                "description": row["description"],
                "category": row["category"],
                "estimated_minutes": row["estimated_minutes"],
                "tags": row["tags"],
                "university_id": row["university_id"],
                "cohort": row["cohort"],
                "revision": row["revision"],
                "state": module_state(summary, missing),
                "percent": summary.percent if summary else 0,
                "assigned": row["assigned"],
                "due_at": iso(row["due_at"]),
                "prerequisites": row["prerequisites"],
                "missing_prerequisites": missing,
            }
        )
    return modules, more
