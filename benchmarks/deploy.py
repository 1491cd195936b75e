"""Benchmark: deploy 2,000 modules of 12 sections into a real (embedded) PostgreSQL.

Measures the first full deploy, a no-op redeploy and a one-module change (in-process, warm), a no-op redeploy as
an operator runs it (`python -m pipeline deploy` in a new process: imports and connecting included), and the
same first deploy done the straightforward ORM way (row by row, session.add + commit per module) as the baseline.
Targets: no-op under 1 s end to end, full deploy at least 10x faster than the baseline.

    python benchmarks/deploy.py [--modules N] [--sections S] [--runs R] [--baseline-runs B]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import pgserver  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks._options import parse_args  # noqa: E402
from pipeline.db.engine import engine_for, upgrade  # noqa: E402
from pipeline.db.models import Module, ModuleSection  # noqa: E402
from pipeline.deploy.apply import deploy  # noqa: E402
from pipeline.deploy.plan import MODULE_COLUMNS, section_content_hash  # noqa: E402
from pipeline.module.canonical import content_hash, write_module  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

_spec = importlib.util.spec_from_file_location("validate_benchmark", REPO_ROOT / "benchmarks" / "validate.py")
_validate_benchmark = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_validate_benchmark)
generated_module = _validate_benchmark.generated_module  # the same 2,000 x 12 corpus validate is timed on
write_generated_tree = _validate_benchmark.write_generated_tree


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def cli_deploy(url: str, modules: Path) -> None:
    """`python -m pipeline deploy` as an operator (or the workflow) runs it, in a new process."""
    env = {**os.environ, "DATABASE_URL": url, "GITHUB_SHA": "bench"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "deploy", str(modules)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and f"0 updated, {len(list(modules.glob('*.json')))} unchanged" in done.stdout, (
        done.stdout[-2000:],
        done.stderr[-2000:],
    )


def deploy_the_spec_way(engine: Engine, modules: Path) -> None:
    """A deploy written the plain ORM way: per module, query, set fields, add, commit; then sections one by one."""
    with Session(engine) as session:
        for json_file in sorted(modules.glob("*.json")):
            data = json.loads(json_file.read_text(encoding="utf-8"))
            module = session.scalars(select(Module).filter_by(module_id=data["module_id"])).first()
            if module is None:
                module = Module(module_id=data["module_id"], revision=1)
            module.content_hash = content_hash(data)
            for column in MODULE_COLUMNS:
                setattr(module, column, data.get(column))
            session.add(module)
            session.commit()
            session.query(ModuleSection).filter_by(module_id=module.module_id).delete()
            for section in data["sections"]:
                session.add(
                    ModuleSection(
                        module_id=module.module_id,
                        section_id=section["section_id"],
                        section_number=section["section_number"],
                        section_type=section["section_type"],
                        title=section["title"],
                        content=section["content"],
                        media_url=section.get("media_url"),
                        duration_seconds=section.get("duration_seconds"),
                        content_hash=section_content_hash(section),
                    )
                )
            session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--sections", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=3)
    args = parse_args(parser, {"modules": 6, "sections": 3, "runs": 1, "baseline_runs": 1})
    figures: dict[str, list[float]] = {
        k: []
        for k in (
            "full",
            "noop",
            "one",
            "baseline",
            "full_db",
            "noop_db",
            "one_db",
            "full_validate",
            "noop_validate",
            "one_validate",
            "cli_noop",
        )
    }
    trusted: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        modules = write_generated_tree(data, args.modules, args.sections)
        server = pgserver.get_server(root / "pgdata", cleanup_mode="stop")
        url = server.get_uri()
        engine = engine_for(url)
        settings = Settings(database_url=url, modules_dir=modules, source_commit="bench")
        reset(engine)
        deploy(None, settings, engine=engine, dry_run=True)  # warm-up: compiles the schema and the Markdown parser
        changed = modules / f"bench-module-{min(42, args.modules - 1):05d}.json"
        original = changed.read_text(encoding="utf-8")
        # Deploy and baseline alternate, so both see the same load on a shared machine.
        for run in range(max(args.runs, args.baseline_runs)):
            if run < args.runs:
                reset(engine)
                changed.write_text(original, encoding="utf-8")
                for name in ("full", "noop", "one"):
                    if name == "one":
                        edited = json.loads(original)
                        edited["sections"][min(3, args.sections - 1)]["title"] = f"Edited at {time.time()}"
                        write_module(changed, edited)
                    started = time.perf_counter()
                    result = deploy(None, settings, engine=engine)
                    figures[name].append(time.perf_counter() - started)
                    figures[f"{name}_db"].append(result.database_seconds)
                    figures[f"{name}_validate"].append(result.validate_seconds)
                    trusted[name] = result.files_trusted
                assert result.plan.summary() == f"0 added, 1 updated, {args.modules - 1} unchanged, 0 archived"
                changed.write_text(original, encoding="utf-8")
                deploy(None, settings, engine=engine)  # back to the original content: the next CLI run is a no-op
                figures["cli_noop"].append(timed(lambda: cli_deploy(url, modules)))
            if run < args.baseline_runs:
                reset(engine)
                figures["baseline"].append(timed(lambda: deploy_the_spec_way(engine, modules)))
        engine.dispose()
        server.cleanup()
    med = {k: statistics.median(v) for k, v in figures.items()}
    print(
        f"deploy: {args.modules} modules x {args.sections} sections, medians of {args.runs} runs "
        f"(baseline: {args.baseline_runs})"
    )
    print("  deploy() in-process           end to end   validation   database part   files trusted")
    for name, label in (("full", "first full deploy"), ("noop", "no-op redeploy"), ("one", "one-module change")):
        print(
            f"  {label:<28} {med[name]:8.2f} s   {med[name + '_validate']:8.2f} s   {med[name + '_db']:8.2f} s"
            f"   {trusted[name]:>8} of {args.modules}"
        )
    print(f"  no-op redeploy via `python -m pipeline deploy` (new process): {med['cli_noop']:.2f} s")
    print(f"  baseline, the plain ORM way (row by row, commit per module): {med['baseline']:.2f} s")
    print(
        f"  full deploy vs baseline: {med['baseline'] / med['full_db']:.1f}x faster on the database part "
        f"(target >= 10x); {med['baseline'] / med['full']:.1f}x end to end including full validation, "
        "which the baseline skips"
    )
    met = "met" if med["cli_noop"] < 1 else "NOT met"
    print(
        f"  no-op redeploy < 1 s end to end: {met}: {med['cli_noop']:.2f} s as a command; deploy() itself, warm "
        f"in-process: {med['noop']:.2f} s (validation {med['noop_validate']:.2f} s with unchanged files trusted, "
        f"database {med['noop_db']:.2f} s); the difference is starting Python, imports and connecting"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
