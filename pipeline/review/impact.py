"""What a deploy would do to learners: `python -m pipeline deploy --dry-run --impact`, read-only by construction.

The plan is the deploy's own (pipeline.deploy.plan), computed from the files and the live rows inside ONE
transaction that PostgreSQL itself makes read-only (`SET TRANSACTION READ ONLY`): a write attempted inside it
fails, whatever role the URL logs in as. Learners come from `module_progress` (one row per student and
section; state `completed` counts as completed, any other state — `started`, the older `in_progress` — as
started) and `module_assignments`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from pipeline.db.engine import connect, database_errors, describe
from pipeline.deploy.apply import load_current, load_validation_keys
from pipeline.deploy.plan import CurrentModule, DeployPlan, plan_deploy
from pipeline.errors import ConfigError, DatabaseError, ValidationFailed
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths

# What a student reads of a section; its title and place may change without sending anyone back to it.
# The same rule as the runtime API's `changed_since_completion` (type, content, media).
READ_FIELDS = ("section_type", "content", "media_url")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionImpact:
    """Learners of one section: started (not completed) and completed."""

    section_id: str
    started: int
    completed: int


@dataclass(frozen=True)
class ArmLearners:
    """Learners assigned to one arm of one of the module's experiments; None when fewer than 10 (suppressed)."""

    experiment_id: str
    arm: str
    learners: int | None


MIN_LEARNERS_SHOWN = 10  # the project's rule: no aggregate of fewer learners leaves PostgreSQL
_ARM_LEARNERS_SQL = text("""
    SELECT module_id, experiment_id, arm, count(*) AS learners FROM experiment_assignments
    WHERE module_id = ANY(:modules) GROUP BY module_id, experiment_id, arm ORDER BY module_id, experiment_id, arm
""")


@dataclass(frozen=True)
class ModuleImpact:
    """One module of the plan and the learners it touches."""

    module_id: str
    action: str  # the plan's: added | updated | archived | refused
    sections_removed: tuple[SectionImpact, ...] = ()
    sections_changed: tuple[SectionImpact, ...] = ()
    in_progress: int = 0  # learners part-way through a module this deploy archives
    assignments: int = 0  # open assignments of a module this deploy archives
    arms: tuple[ArmLearners, ...] = ()  # learners in each arm of the module's experiments

    @property
    def learners_affected(self) -> int:
        """The largest number in this module's impact (0 when no learner is touched)."""
        numbers = [s.started + s.completed for s in self.sections_removed]
        numbers += [s.completed for s in self.sections_changed]
        return max([*numbers, self.in_progress, self.assignments], default=0)

    def to_json(self) -> dict[str, Any]:
        arms = [{"experiment_id": a.experiment_id, "arm": a.arm, "learners": a.learners} for a in self.arms]
        return {
            "module_id": self.module_id,
            "action": self.action,
            "sections_removed": [
                {"section_id": s.section_id, "started": s.started, "completed": s.completed}
                for s in self.sections_removed
            ],
            "sections_changed": [{"section_id": s.section_id, "completed": s.completed} for s in self.sections_changed],
            "in_progress": self.in_progress,
            "assignments": self.assignments,
            **({"arms": arms} if arms else {}),  # only modules with experiments carry it
        }


@dataclass(frozen=True)
class ImpactReport:
    """The learner impact of every module the plan touches (unchanged modules are left out)."""

    modules: tuple[ModuleImpact, ...]
    database: str = ""  # masked URL, for the text report
    output: Literal["text", "json"] = "text"  # what lines() gives: the text report, or the JSON

    ok = True  # reporting impact never refuses anything; the numbers are for the reviewer

    def in_format(self, output: str) -> ImpactReport:
        """The same report, printed as `output` ("text" or "json")."""
        return replace(self, output="json" if output == "json" else "text")

    @property
    def needs_second_review(self) -> bool:
        """True when any number is above zero."""
        return any(m.learners_affected for m in self.modules)

    def to_json(self) -> dict[str, Any]:
        return {"modules": [m.to_json() for m in self.modules]}

    def lines(self) -> list[str]:
        """The report for a terminal (one block per module, then the verdict), or its JSON."""
        if self.output == "json":
            return impact_json(self).split("\n")
        lines = [f"learner impact (read-only transaction on {self.database}):"]
        if not self.modules:
            lines.append("  no module changes: no learner is affected")
        for module in self.modules:
            lines.append(f"  {module.action:<9} {module.module_id}")
            lines += [
                f"    section removed: {s.section_id}: {s.started} started, {s.completed} completed"
                for s in module.sections_removed
            ]
            lines += [
                f"    content changed: {s.section_id}: {s.completed} completed it before the change"
                for s in module.sections_changed
            ]
            if module.in_progress or module.assignments or module.action == "archived":
                lines.append(
                    f"    archived: {module.in_progress} learner(s) in progress, "
                    f"{module.assignments} open assignment(s)"
                )
            if module.arms:
                lines.append(f"    experiment arms: {arm_counts_text(module.arms)}")
        verdict = "needs a second review" if self.needs_second_review else "no learner is affected"
        lines.append(f"impact: {verdict}")
        return lines


def impact_from_json(raw: str, source: str) -> ImpactReport:
    """Read the JSON `deploy --dry-run --impact --format json` printed; ConfigError naming `source` if it is not."""
    try:
        data = json.loads(raw)
        modules = tuple(
            ModuleImpact(
                str(m["module_id"]),
                str(m["action"]),
                tuple(
                    SectionImpact(str(s["section_id"]), int(s["started"]), int(s["completed"]))
                    for s in m["sections_removed"]
                ),
                tuple(SectionImpact(str(s["section_id"]), 0, int(s["completed"])) for s in m["sections_changed"]),
                int(m["in_progress"]),
                int(m["assignments"]),
                tuple(
                    ArmLearners(
                        str(a["experiment_id"]), str(a["arm"]), None if a["learners"] is None else int(a["learners"])
                    )
                    for a in m.get("arms", [])
                ),
            )
            for m in data["modules"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{source}: not the JSON of `deploy --dry-run --impact --format json` ({type(exc).__name__}: {exc}); "
            "give that command's output"
        ) from None
    return ImpactReport(modules)


@contextmanager
def read_only_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction PostgreSQL refuses every write in; always rolled back."""
    with engine.connect() as conn:
        # The first statement of the transaction: once anything ran, PostgreSQL would refuse to switch.
        conn.execute(text("SET TRANSACTION READ ONLY"))
        try:
            yield conn
        finally:
            conn.rollback()


def assess_impact(paths: Sequence[Path] | None, settings: Settings, *, engine: Engine | None = None) -> ImpactReport:
    """The learner impact of deploying the module files in `paths` (default: the modules folder), writing nothing.

    Connects with DATABASE_READONLY_URL when set (else DATABASE_URL or the embedded PostgreSQL).
    """
    paths = list(paths) if paths else [settings.modules_dir]
    owned = engine is None
    if engine is None:
        url = settings.database_readonly_url or settings.database_url
        engine = connect(settings.with_overrides(database_url=url))
    try:
        # As deploy does: files whose bytes the live revisions were validated with skip their byte-only checks.
        _, trusted = load_validation_keys(engine)
        report = validate_paths(paths, settings, trusted)
        if not report.ok:
            raise ValidationFailed(list(report.problems), f"{report.summary()}; no impact was computed")
        documents = {module_id: doc.data for module_id, doc in report.documents.items()}
        hashes = {module_id: doc.content_hash for module_id, doc in report.documents.items()}
        with database_errors(engine, "reading the learner impact"), read_only_transaction(engine) as conn:
            current = load_current(conn)
            plan = plan_deploy(
                documents,
                current,
                archive_missing=all(p.is_dir() for p in paths),
                allow_mass_archive=True,  # a refusal is deploy's to make; the reviewer wants the numbers
                force=True,
                hashes=hashes,
            )
            modules = _measure(conn, plan, documents, current)
            if conn.execute(text("SELECT txid_current_if_assigned()")).scalar() is not None:
                raise DatabaseError("the learner impact wrote to the database; this is a bug, please report it")
    finally:
        if owned:
            engine.dispose()
    return ImpactReport(modules, describe(engine))


def _measure(
    conn: Connection,
    plan: DeployPlan,
    documents: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, CurrentModule],
) -> tuple[ModuleImpact, ...]:
    touched = [c for c in plan.changes if c.action != "unchanged"]
    live = _live_sections(conn, [c.module_id for c in touched if c.old_revision is not None])
    removed: dict[str, list[str]] = {}
    changed: dict[str, list[str]] = {}
    for change in touched:
        if change.action == "archived" or change.module_id not in documents:
            continue
        in_file = {s["section_id"]: s for s in documents[change.module_id]["sections"]}
        for section_id, row in live.get(change.module_id, {}).items():
            new = in_file.get(section_id)
            if new is None:
                removed.setdefault(change.module_id, []).append(section_id)
            elif any(new.get(f) != row[f] for f in READ_FIELDS):
                changed.setdefault(change.module_id, []).append(section_id)
    wanted = {m: removed.get(m, []) + changed.get(m, []) for m in {*removed, *changed}}
    learners = _section_learners(conn, wanted)
    # Archived by this deploy: the file is gone, or says "retired", and the module is live now.
    archived = [
        c.module_id for c in touched if c.archive and c.module_id in current and not current[c.module_id].archived
    ]
    in_progress, assignments = _archive_learners(conn, archived)
    arms = _arm_learners(conn, [c.module_id for c in touched])
    impacts = []
    for change in touched:
        counts = learners.get(change.module_id, {})
        impacts.append(
            ModuleImpact(
                change.module_id,
                change.action,
                tuple(SectionImpact(s, *counts.get(s, (0, 0))) for s in sorted(removed.get(change.module_id, []))),
                tuple(SectionImpact(s, 0, counts.get(s, (0, 0))[1]) for s in sorted(changed.get(change.module_id, []))),
                in_progress.get(change.module_id, 0),
                assignments.get(change.module_id, 0),
                tuple(arms.get(change.module_id, ())),
            )
        )
    return tuple(impacts)


def _arm_learners(conn: Connection, module_ids: list[str]) -> dict[str, list[ArmLearners]]:
    """Learners per arm of each module's experiments (exposures), small counts suppressed."""
    found: dict[str, list[ArmLearners]] = {}
    if not module_ids:
        return found
    try:
        # A savepoint: a production database not yet migrated to experiments (or a role without the grant)
        # leaves the rest of the impact intact.
        with conn.begin_nested():
            rows = conn.execute(_ARM_LEARNERS_SQL, {"modules": module_ids}).all()
    except DBAPIError as exc:
        log.warning("learners per experiment arm not read: %s", str(exc.orig or exc).strip().splitlines()[0])
        return found
    for row in rows:
        shown = row.learners if row.learners >= MIN_LEARNERS_SHOWN else None
        found.setdefault(row.module_id, []).append(ArmLearners(row.experiment_id, row.arm, shown))
    return found


def arm_counts_text(arms: Sequence[ArmLearners]) -> str:
    """`ppe-video-vs-text: control 23, video fewer than 10` for a reviewer."""
    by_experiment: dict[str, list[str]] = {}
    for arm in arms:
        count = f"fewer than {MIN_LEARNERS_SHOWN}" if arm.learners is None else str(arm.learners)
        by_experiment.setdefault(arm.experiment_id, []).append(f"{arm.arm} {count}")
    return "; ".join(f"{experiment}: {', '.join(counts)}" for experiment, counts in by_experiment.items())


def _live_sections(conn: Connection, module_ids: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    if not module_ids:
        return {}
    rows = conn.execute(
        text(
            f"SELECT module_id, section_id, {', '.join(READ_FIELDS)} FROM module_sections WHERE module_id = ANY(:ids)"
        ),
        {"ids": module_ids},
    ).mappings()
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["module_id"], {})[row["section_id"]] = dict(row)
    return found


def _section_learners(conn: Connection, sections: Mapping[str, list[str]]) -> dict[str, dict[str, tuple[int, int]]]:
    """(started, completed) learners per module and section."""
    pairs = [(m, s) for m, ids in sections.items() for s in ids]
    if not pairs:
        return {}
    rows = conn.execute(
        text("""
        SELECT p.module_id, p.section_id,
               count(DISTINCT p.student_id) FILTER (WHERE p.state <> 'completed') AS started,
               count(DISTINCT p.student_id) FILTER (WHERE p.state = 'completed') AS completed
        FROM module_progress p
        JOIN unnest(CAST(:modules AS text[]), CAST(:sections AS text[])) AS w(module_id, section_id)
          ON w.module_id = p.module_id AND w.section_id = p.section_id
        GROUP BY p.module_id, p.section_id
    """),
        {"modules": [m for m, _ in pairs], "sections": [s for _, s in pairs]},
    )
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(row.module_id, {})[row.section_id] = (row.started, row.completed)
    return found


def _archive_learners(conn: Connection, module_ids: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Per module: learners who started but have not completed all of its live sections; open assignments."""
    if not module_ids:
        return {}, {}
    rows = conn.execute(
        text("""
        WITH wanted AS (SELECT unnest(CAST(:ids AS text[])) AS module_id),
        sections AS (
            SELECT module_id, count(*) AS total FROM module_sections
            WHERE module_id IN (SELECT module_id FROM wanted) GROUP BY module_id
        ),
        learners AS (
            SELECT p.module_id, p.student_id,
                   count(DISTINCT s.section_id) FILTER (WHERE p.state = 'completed') AS done
            FROM module_progress p
            LEFT JOIN module_sections s ON s.module_id = p.module_id AND s.section_id = p.section_id
            WHERE p.module_id IN (SELECT module_id FROM wanted)
            GROUP BY p.module_id, p.student_id
        ),
        finished AS (
            SELECT l.module_id, l.student_id FROM learners l JOIN sections t ON t.module_id = l.module_id
            WHERE l.done >= t.total
        )
        SELECT w.module_id,
               (SELECT count(*) FROM learners l WHERE l.module_id = w.module_id
                  AND NOT EXISTS (SELECT 1 FROM finished f WHERE f.module_id = l.module_id
                                  AND f.student_id = l.student_id)) AS in_progress,
               (SELECT count(*) FROM module_assignments a WHERE a.module_id = w.module_id
                  AND NOT EXISTS (SELECT 1 FROM finished f WHERE f.module_id = a.module_id
                                  AND f.student_id = a.student_id)) AS assignments
        FROM wanted w
    """),
        {"ids": module_ids},
    )
    in_progress: dict[str, int] = {}
    assignments: dict[str, int] = {}
    for row in rows:
        in_progress[row.module_id], assignments[row.module_id] = row.in_progress, row.assignments
    return in_progress, assignments


def impact_json(report: ImpactReport) -> str:
    """The JSON of `--format json`: `{"modules": [...]}`."""
    return json.dumps(report.to_json(), indent=2)
