"""Deploy module files into the runtime database: validate all, then one transaction under an advisory lock.

Set-based statements throughout (COPY, INSERT … SELECT … ON CONFLICT; hashes compared from one SELECT): the
database part of deploying 2,000 modules takes about a second, a no-op a tenth of that. The plan itself is pure
(pipeline.deploy.plan); this file does the I/O around it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from pipeline.db.engine import connect, describe
from pipeline.deploy.plan import (
    MASS_ARCHIVE_WINDOW_HOURS,
    MODULE_COLUMNS,
    SECTION_COLUMNS,
    CurrentModule,
    DeployPlan,
    describe_drift,
    plan_deploy,
)
from pipeline.deploy.summary import git_head, write_plan
from pipeline.deploy.writes import FINGERPRINT_SQL, apply_plan
from pipeline.errors import ConfigError, DatabaseError, DeployRefused, ValidationFailed
from pipeline.settings import Settings, mask_url
from pipeline.validate.previous import previous_live
from pipeline.validate.rules import PreviousVersions, ValidationReport, validate_paths
from pipeline.validate.trust import Trusted, Validated

log = logging.getLogger(__name__)

# One lock id for "a deploy is running"; transaction-scoped, so it works through Neon's transaction pooler.
DEPLOY_LOCK_ID = 0x46524D45_4450  # "FRME" "DP"


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did (or, with dry_run, would do)."""

    plan: DeployPlan
    dry_run: bool
    source_commit: str | None
    database: str  # the URL, password masked
    validate_seconds: float = 0.0  # reading the validation keys included
    database_seconds: float = 0.0  # connecting excluded: from taking the lock to commit
    files_trusted: int = 0  # files unchanged since they were last validated: byte-only checks skipped

    @property
    def refused_modules(self) -> list[str]:
        return [c.module_id for c in self.plan.of("refused")]

    @property
    def ok(self) -> bool:
        return not self.refused_modules

    def lines(self) -> list[str]:
        return self.render_text().splitlines()

    def render_text(self) -> str:
        return (
            f"{self.plan.render_text(self.dry_run)}\n"
            f"(validated in {self.validate_seconds:.2f} s, {self.files_trusted} file(s) unchanged since their "
            f"last validation; database {self.database_seconds:.2f} s)"
        )


def deploy(
    paths: Sequence[Path] | None,
    settings: Settings,
    *,
    dry_run: bool = False,
    allow_mass_archive: bool = False,
    force: bool = False,
    engine: Engine | None = None,
    plan_file: Path | None = None,
) -> DeployResult:
    """Validate the module files in `paths` (default: the modules folder) and make them live, atomically."""
    paths = list(paths) if paths else [settings.modules_dir]
    owned = engine is None
    try:
        engine = engine or connect(settings)
    except (DatabaseError, ConfigError):
        _validate_or_raise(paths, settings, {})  # a broken file is news even while the database is unusable
        raise
    applying: DeployPlan | None = None  # set while apply_plan runs: a failure there is some module's data
    try:
        started = time.perf_counter()
        live_keys, trusted = load_validation_keys(engine)
        report = _validate_or_raise(paths, settings, trusted, _live_experiments(engine))
        validated = time.perf_counter() - started
        documents = {module_id: doc.data for module_id, doc in report.documents.items()}
        hashes = {module_id: doc.content_hash for module_id, doc in report.documents.items()}
        texts = {module_id: doc.text for module_id, doc in report.documents.items()}  # stored as the revision
        # Only a whole folder says which modules exist: a deploy of single files never archives the others.
        archive_missing = all(p.is_dir() for p in paths)
        commit = settings.source_commit or git_head(settings.modules_dir)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": DEPLOY_LOCK_ID})
            current = load_current(conn)
            plan = plan_deploy(
                documents,
                current,
                archive_missing=archive_missing,
                allow_mass_archive=allow_mass_archive,
                force=force,
                hashes=hashes,
            )
            if plan.refusal:
                write_plan(plan, dry_run, commit, plan_file)
                raise DeployRefused(f"{plan.render_text(dry_run)}\nnothing was deployed")
            if dry_run:
                conn.rollback()
            else:
                applying = plan
                apply_plan(conn, plan, hashes, texts, commit, report.validated, documents)
                applying = None
                refresh_validation_keys(conn, plan, report, live_keys)
        in_database = time.perf_counter() - started
    except (DBAPIError, psycopg2.Error, UnicodeError) as exc:
        # apply_plan works on the raw DB-API cursor: its errors are psycopg2's own, not SQLAlchemy-wrapped ones.
        original = exc.orig if isinstance(exc, DBAPIError) else exc
        reason = str(original or exc).strip().splitlines()[0] if str(original or exc).strip() else type(exc).__name__
        if applying is not None and isinstance(original, (psycopg2.DataError, psycopg2.IntegrityError, UnicodeError)):
            culprit = find_unstorable_module(engine, applying, hashes, texts, commit, report.validated, documents)
            if culprit is not None:
                module_id, why = culprit
                path = report.documents[module_id].display_path
                raise DeployRefused(
                    f"deploy to {describe(engine)} was rolled back (nothing changed): the database refused module "
                    f"{module_id!r} ({path}): {mask_url(why)}; fix that file (validate should have refused it: "
                    "please report this too) and deploy again"
                ) from None
        advice = (
            "run `python -m pipeline db upgrade` first"
            if "does not exist" in reason
            else "fix the cause and run it again"
        )
        raise DatabaseError(
            f"deploy to {describe(engine)} failed and was rolled back (nothing changed): {mask_url(reason)}; {advice}"
        ) from None
    finally:
        if owned:
            engine.dispose()
    result = DeployResult(plan, dry_run, commit, describe(engine), validated, in_database, report.files_trusted)
    write_plan(plan, dry_run, commit, plan_file)
    return result


def find_unstorable_module(
    engine: Engine,
    plan: DeployPlan,
    hashes: dict[str, str],
    texts: dict[str, str],
    commit: str | None,
    validated: Mapping[str, Validated],
    documents: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[str, str] | None:
    """After apply_plan failed: (module_id, the database's reason) of the first module it cannot store alone.

    Writes each module on its own under a savepoint in a transaction that is always rolled back; only runs on
    the failure path, where naming the file matters more than speed.
    """
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": DEPLOY_LOCK_ID})
            for change in plan.writes:
                savepoint = conn.begin_nested()
                try:
                    single = DeployPlan((change,), plan.live_before)
                    apply_plan(conn, single, hashes, texts, commit, validated, documents)
                except (psycopg2.Error, UnicodeError) as exc:
                    return change.module_id, (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                finally:
                    savepoint.rollback()
            conn.rollback()
    except (DBAPIError, psycopg2.Error) as exc:
        log.info("could not tell which module the database refused: %s", mask_url(str(exc).strip()[:200]))
    return None


def _live_experiments(engine: Engine) -> PreviousVersions | None:
    """The live modules that declare experiments (a running one must not change); None before migrations."""
    try:
        with engine.connect() as conn:
            return previous_live(conn)
    except DBAPIError:
        return None  # no tables yet: nothing is live, so nothing runs


def _validate_or_raise(
    paths: Sequence[Path], settings: Settings, trusted: Trusted, previous: PreviousVersions | None = None
) -> ValidationReport:
    report = validate_paths(paths, settings, trusted, previous=previous)
    if not report.ok:
        raise ValidationFailed(list(report.problems), f"{report.summary()}; nothing was deployed")
    return report


def load_validation_keys(engine: Engine) -> tuple[dict[str, str], Trusted]:
    """The live revisions' validation keys: by module, and as validate_paths' `trusted` (key -> Markdown images).

    Read before the lock, in one SELECT: a key is a fact about bytes, true whichever revision carries it. When
    the database cannot say (not migrated yet), nothing is trusted and validation is simply full.
    """
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT m.module_id, r.validation_key, r.markdown_images FROM modules m JOIN module_revisions r "
                    "ON r.module_id = m.module_id AND r.revision = m.revision "
                    "WHERE r.validation_key IS NOT NULL AND jsonb_typeof(r.markdown_images) = 'object'"
                )
            ).all()
    except DBAPIError as exc:
        log.info("no validation keys (%s): validating every file in full", str(exc.orig or exc).strip()[:200])
        return {}, {}
    return (
        {row.module_id: row.validation_key for row in rows},
        {row.validation_key: row.markdown_images for row in rows},
    )


def refresh_validation_keys(
    conn: Connection, plan: DeployPlan, report: ValidationReport, live_keys: dict[str, str]
) -> None:
    """Give unchanged modules' live revisions this run's key when it differs (new validator, or metadata edits).

    Without this, a validator change would make every later deploy validate unchanged files in full.
    """
    stale = [
        c.module_id
        for c in plan.of("unchanged")
        if c.module_id in report.validated and live_keys.get(c.module_id) != report.validated[c.module_id].key
    ]
    if not stale:
        return
    conn.execute(
        text("""
        UPDATE module_revisions r SET validation_key = v.key, markdown_images = CAST(v.images AS jsonb)
        FROM unnest(CAST(:ids AS text[]), CAST(:keys AS text[]), CAST(:images AS text[])) AS v(module_id, key, images),
             modules m
        WHERE m.module_id = v.module_id AND r.module_id = m.module_id AND r.revision = m.revision
    """),
        {
            "ids": stale,
            "keys": [report.validated[m].key for m in stale],
            "images": [json.dumps(report.validated[m].markdown_images) for m in stale],
        },
    )
    log.info("deploy refreshed the validation key of %d unchanged module(s)", len(stale))


def load_current(conn: Connection) -> dict[str, CurrentModule]:
    """Every module's revision, hash and archive state, and whether its rows drifted — in one SELECT."""
    rows = conn.execute(
        text(f"""
        WITH live AS ({FINGERPRINT_SQL.format(section_filter="")})
        SELECT m.module_id, m.revision, m.content_hash, m.archived_at IS NOT NULL AS archived,
               coalesce(m.archived_at > now() - make_interval(hours => :window), false) AS archived_recently,
               r.id IS NULL OR r.content_hash <> m.content_hash OR r.row_fingerprint <> live.fingerprint AS drifted
        FROM modules m
        JOIN live ON live.module_id = m.module_id
        LEFT JOIN module_revisions r ON r.module_id = m.module_id AND r.revision = m.revision
    """),
        {"window": MASS_ARCHIVE_WINDOW_HOURS},
    ).all()
    current = {
        row.module_id: CurrentModule(
            row.module_id, row.revision, row.content_hash, row.archived, archived_recently=row.archived_recently
        )
        for row in rows
    }
    drifted = [row.module_id for row in rows if row.drifted]
    for module_id, drift in explain_drift(conn, drifted).items():
        now = current[module_id]
        current[module_id] = CurrentModule(
            module_id, now.revision, now.content_hash, now.archived, drift, now.archived_recently
        )
    return current


def explain_drift(conn: Connection, module_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """For modules whose rows drifted: what differs from their last deployed revision."""
    module_ids = list(module_ids)
    if not module_ids:
        return {}
    modules = {
        row["module_id"]: row
        for row in conn.execute(
            text(
                "SELECT m.module_id, m.revision, m.content_hash AS module_hash, r.document, "
                "r.content_hash AS revision_hash, "
                f"{', '.join('m.' + c for c in MODULE_COLUMNS)} FROM modules m LEFT JOIN module_revisions r "
                "ON r.module_id = m.module_id AND r.revision = m.revision WHERE m.module_id = ANY(:ids)"
            ),
            {"ids": module_ids},
        ).mappings()
    }
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(
        text(
            f"SELECT module_id, section_id, {', '.join(SECTION_COLUMNS)} FROM module_sections "
            "WHERE module_id = ANY(:ids)"
        ),
        {"ids": module_ids},
    ).mappings():
        sections.setdefault(row["module_id"], []).append(dict(row))
    found: dict[str, tuple[str, ...]] = {}
    for module_id, row in modules.items():
        if row["document"] is None:
            found[module_id] = (f"modules.revision is {row['revision']} but no such revision was deployed",)
        elif row["module_hash"] != row["revision_hash"]:
            found[module_id] = ("modules.content_hash no longer matches its revision",)
        else:
            found[module_id] = describe_drift(row["document"], dict(row), sections.get(module_id, []))
    return found
