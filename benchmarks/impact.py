"""Benchmark: `deploy --dry-run --impact` over 2,000 live modules with many learners' progress.

Deploys the generated corpus (benchmarks/validate.py) into an embedded PostgreSQL, seeds `module_progress` for
LEARNERS students (each on MODULES_EACH modules, every section; a fifth of the rows only started) and an
assignment per student and module, then edits 20 modules (a section removed, a quiz changed) and deletes 10
files. Prints the median time of the impact and of a plain `deploy --dry-run` on the same tree, and their ratio.

    python benchmarks/impact.py [--modules N] [--sections S] [--learners L] [--modules-each M] [--runs R]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import pgserver  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks._options import parse_args  # noqa: E402
from pipeline.db.engine import engine_for, upgrade  # noqa: E402
from pipeline.deploy.apply import deploy  # noqa: E402
from pipeline.module.canonical import write_module  # noqa: E402
from pipeline.review.impact import assess_impact  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

_spec = importlib.util.spec_from_file_location("validate_benchmark", REPO_ROOT / "benchmarks" / "validate.py")
_validate_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_validate_benchmark)
write_generated_tree = _validate_benchmark.write_generated_tree

SEED_PROGRESS = """
INSERT INTO module_progress (student_id, module_id, section_id, state)
SELECT 'student-' || s, 'bench-module-' || lpad(((s * 7 + k * 131) % :modules)::text, 5, '0'), 'section-' || n,
       CASE WHEN (s + n) % 5 = 0 THEN :started ELSE 'completed' END
FROM generate_series(1, :learners) s, generate_series(1, :each) k, generate_series(1, :sections) n
ON CONFLICT DO NOTHING
"""
SEED_ASSIGNMENTS = """
INSERT INTO module_assignments (module_id, student_id)
SELECT 'bench-module-' || lpad(((s * 7 + k * 131) % :modules)::text, 5, '0'), 'student-' || s
FROM generate_series(1, :learners) s, generate_series(1, :each) k
ON CONFLICT DO NOTHING
"""


def started_word(engine) -> str:
    with engine.connect() as conn:
        check = conn.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'module_progress'::regclass AND conname LIKE '%state_known%'"
            )
        ).scalar()
    return "started" if "'started'" in str(check) else "in_progress"


def edit_tree(modules: Path) -> int:
    """Every tenth of the first 200 modules loses a section and gets a quiz reworded; the last 10 files (at most a
    third of them) are deleted (archived). Returns how many modules changed or were archived."""
    total = len(list(modules.glob("*.json")))
    edited = range(0, min(200, total), 10)
    for index in edited:
        path = modules / f"bench-module-{index:05d}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["sections"].pop(1)
        for number, section in enumerate(data["sections"], 1):
            section["section_number"] = number
            if section["section_type"] == "quiz":
                section["content"]["questions"][0]["prompt"] += " (reworded)"
        write_module(path, data)
    archived = range(max(total - 10, total - total // 3), total)  # the end of the prerequisite chain: no dependants
    for index in archived:
        (modules / f"bench-module-{index:05d}.json").unlink()
    return len(set(edited) | set(archived))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--sections", type=int, default=12)
    parser.add_argument("--learners", type=int, default=20000)
    parser.add_argument("--modules-each", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    args = parse_args(parser, {"modules": 5, "sections": 3, "learners": 40, "modules_each": 2, "runs": 1})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        modules = write_generated_tree(root / "data", args.modules, args.sections)
        server = pgserver.get_server(root / "pgdata", cleanup_mode="stop")
        url = server.get_uri()
        engine = engine_for(url)
        upgrade(engine)
        settings = Settings(database_url=url, modules_dir=modules, source_commit="bench")
        deploy(None, settings, engine=engine)
        params = {
            "modules": args.modules,
            "learners": args.learners,
            "each": args.modules_each,
            "sections": args.sections,
            "started": started_word(engine),
        }
        with engine.begin() as conn:
            conn.execute(text(SEED_PROGRESS), params)
            conn.execute(text(SEED_ASSIGNMENTS), params)
            conn.execute(text("ANALYZE"))
            rows = conn.execute(text("SELECT count(*) FROM module_progress")).scalar()
        touched = edit_tree(modules)
        impact_times, dry_run_times = [], []
        report = assess_impact(None, settings, engine=engine)  # warm-up
        for _ in range(args.runs):
            started = time.perf_counter()
            report = assess_impact(None, settings, engine=engine)
            impact_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            deploy(None, settings, engine=engine, dry_run=True, allow_mass_archive=True)
            dry_run_times.append(time.perf_counter() - started)
        engine.dispose()
        server.cleanup()
    impact, dry_run = statistics.median(impact_times), statistics.median(dry_run_times)
    affected = sum(1 for m in report.modules if m.learners_affected)
    print(
        f"impact: {args.modules} modules x {args.sections} sections, {rows} progress rows "
        f"({args.learners} learners), {touched} modules changed or archived ({affected} with learners); "
        f"medians of {args.runs} runs"
    )
    print(f"  deploy --dry-run --impact (in-process): {impact:.2f} s")
    print(f"  deploy --dry-run, same tree:           {dry_run:.2f} s")
    print(f"  impact / dry run: {impact / dry_run:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
