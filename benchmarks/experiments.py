"""Benchmark: `experiments report` over a million exposure and attempt rows.

Set-up, in a PostgreSQL of its own (embedded): the demo module (examples/experiments/) deployed, N/2 learners
exposed to its experiment (50/50) and N/2 graded quiz attempts by them, so the report reads N rows. Printed:
the report's median wall time over 3 runs (the SQL aggregates, the statistics and the rendering), next to a
floor (one `count(*)` over both tables: reading the rows at all) and a baseline (the textbook way: every row
fetched into Python and counted there), all measured in the same run. Aim: under 5 s for N = 1,000,000.

    .venv/bin/python benchmarks/experiments.py [--rows 1000000] [--smoke]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import text  # noqa: E402

from benchmarks._options import parse_args  # noqa: E402

DEMO = REPO_ROOT / "examples" / "experiments" / "modules" / "ppe-basics.json"

_FILL_SQL = """
INSERT INTO experiment_assignments (module_id, experiment_id, student_id, arm, revision, stamped_sections,
                                    exposed_at)
SELECT 'ppe-basics', 'ppe-video-vs-text', 'learner-' || n, CASE WHEN n % 2 = 0 THEN 'control' ELSE 'video' END, 1,
       ARRAY['choosing-ppe', 'ppe-check'], now() - interval '1 day'
FROM generate_series(1, :learners) n;
INSERT INTO module_attempts (client_attempt_id, student_id, module_id, section_id, revision, attempt_number, score,
                             passed, questions, answers, experiment_id, arm)
SELECT md5('attempt-' || n)::uuid, 'learner-' || n, 'ppe-basics', 'ppe-check', 1, 1,
       CASE WHEN (n::bigint * 7919) % 100 < CASE WHEN n % 2 = 0 THEN 50 ELSE 56 END THEN 100 ELSE 50 END,
       (n::bigint * 7919) % 100 < CASE WHEN n % 2 = 0 THEN 50 ELSE 56 END, '[]', '{}', 'ppe-video-vs-text',
       CASE WHEN n % 2 = 0 THEN 'control' ELSE 'video' END
FROM generate_series(1, :learners) n;
"""


def _timed(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="exposure + attempt rows (half each)")
    args = parse_args(parser, {"rows": 10_000})
    rows = args.rows
    repeat = 1 if args.smoke else 3

    import pgserver

    from pipeline.db.engine import engine_for, normalize_url, upgrade
    from pipeline.deploy.apply import deploy
    from pipeline.experiments.report import report_experiments
    from pipeline.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="experiments-bench-"))
    pgdata = Path(tempfile.mkdtemp(prefix="experiments-bench-pgdata-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        url = normalize_url(server.get_uri())
        engine = engine_for(url)
        upgrade(engine)
        (tmp / DEMO.name).write_bytes(DEMO.read_bytes())
        settings = Settings(database_url=url, modules_dir=tmp)
        deploy([tmp / DEMO.name], settings, engine=engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in _FILL_SQL.split(";"):
                if statement.strip():
                    conn.execute(text(statement), {"learners": rows // 2})
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        print(
            f"set-up: {rows:,} rows ({rows // 2:,} exposures, {rows // 2:,} attempts) in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

        def floor() -> None:
            with engine.connect() as conn:
                conn.execute(
                    text("SELECT (SELECT count(*) FROM experiment_assignments), (SELECT count(*) FROM module_attempts)")
                ).one()

        def baseline() -> None:
            with engine.connect() as conn:
                arms = dict(conn.execute(text("SELECT student_id, arm FROM experiment_assignments")).all())
                passed = {
                    r.student_id for r in conn.execute(text("SELECT student_id FROM module_attempts WHERE passed"))
                }
            Counter((arm, student in passed) for student, arm in arms.items())

        result = None

        def ours() -> None:
            nonlocal result
            result = report_experiments(settings, "ppe-video-vs-text", "text", engine=engine)

        timings = {"floor": _timed(floor, repeat), "baseline": _timed(baseline, repeat), "report": _timed(ours, repeat)}
        assert result is not None
        print("\n".join(result.lines()))
        print(
            f"\nreport over {rows:,} rows: median {timings['report']:.2f} s (aim < 5 s); floor (count(*)) "
            f"{timings['floor']:.2f} s; baseline (rows into Python) {timings['baseline']:.2f} s; "
            f"report / floor {timings['report'] / max(timings['floor'], 1e-9):.1f}x, "
            f"baseline / report {timings['baseline'] / max(timings['report'], 1e-9):.1f}x",
            flush=True,
        )
        engine.dispose()
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
