"""Propose against the fake GitHub: requests per module and time, for new, re-run and changed modules.

Run: .venv/bin/python benchmarks/propose.py [--modules N] [--runs R]   (N modules, default 30)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._options import parse_args  # noqa: E402
from pipeline.module.canonical import write_module  # noqa: E402
from pipeline.module.document import load_module  # noqa: E402
from pipeline.propose.proposal import propose_modules  # noqa: E402
from tests.fakes.github_fixture import GitHubFake  # noqa: E402
from tests.fakes.github_server import FakeGitHub  # noqa: E402
from tests.paths import copy_sample_data  # noqa: E402


def _make_modules(data_dir: Path, count: int) -> None:
    template = load_module(data_dir / "modules" / "lab-safety-101.json").data
    for i in range(count):
        data = json.loads(json.dumps(template))
        data["module_id"] = f"bench-{i:03d}"
        data["title"] = f"Bench module {i}"
        write_module(data_dir / "modules" / f"bench-{i:03d}.json", data)


def _bump(data_dir: Path, count: int) -> None:
    for i in range(count):
        path = data_dir / "modules" / f"bench-{i:03d}.json"
        data = load_module(path).data
        data["estimated_minutes"] += 1
        data["metadata"]["revision"] += 1
        write_module(path, data)


def _run(fake: GitHubFake, modules_dir: Path, count: int) -> tuple[float, int, int]:
    fake.log.clear()
    start = time.perf_counter()
    report = propose_modules(sorted(modules_dir.glob("bench-*.json")), fake.settings(modules_dir=modules_dir))
    elapsed = time.perf_counter() - start
    assert report.ok, report.summary()
    return elapsed, len(fake.log) - len(fake.writes()), len(fake.writes())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--modules", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parse_args(parser, {"modules": 3, "runs": 1})
    count = args.modules
    server = FakeGitHub()
    server.start()
    figures: dict[str, list[tuple[float, int, int]]] = {"new": [], "re-run": [], "changed": []}
    for _ in range(args.runs):
        server.reset()
        fake = GitHubFake(server)
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = copy_sample_data(Path(tmp))
            fake.seed(data_dir)
            _make_modules(data_dir, count)
            figures["new"].append(_run(fake, data_dir / "modules", count))
            figures["re-run"].append(_run(fake, data_dir / "modules", count))
            _bump(data_dir, count)
            figures["changed"].append(_run(fake, data_dir / "modules", count))
    server.stop()
    print(f"propose, {count} modules, fake GitHub on 127.0.0.1, no pacing; medians of {args.runs} runs")
    print(f"{'case':<8} {'ms/module':>9} {'reads/module':>12} {'writes/module':>13} {'paced s/module':>14}")
    for case, runs in figures.items():
        ms = statistics.median(r[0] for r in runs) * 1000 / count
        reads = statistics.median(r[1] for r in runs) / count
        writes = statistics.median(r[2] for r in runs) / count
        # PyGithub's default pacing: 0.25 s between requests, 1 s between writes
        paced = reads * 0.25 + writes * 1.0
        print(f"{case:<8} {ms:>9.1f} {reads:>12.1f} {writes:>13.1f} {paced:>14.1f}")


if __name__ == "__main__":
    main()
