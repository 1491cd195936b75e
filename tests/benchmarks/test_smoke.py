"""Every benchmark still runs: the suite makes each one's `--smoke` run (a few modules, a second of load).

A benchmark is a command of its own (`.venv/bin/python benchmarks/<name>.py`) that prints figures; nothing in the
suite times anything. What this guards is that a benchmark cannot break unnoticed, as `benchmarks/deploy.py` did
when migration 0003 made `module_sections.content_hash` NOT NULL and its baseline kept inserting rows without it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

BENCHMARKS = sorted(p for p in (REPO_ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))
FIGURE = re.compile(r"\d+(\.\d+)?")


def test_there_are_benchmarks_to_smoke() -> None:
    assert len(BENCHMARKS) >= 10


@pytest.mark.slow
@pytest.mark.parametrize("benchmark", BENCHMARKS, ids=lambda p: p.stem)
def test_the_benchmark_runs_in_smoke_mode_and_prints_figures(benchmark: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # each benchmark starts its own PostgreSQL
    done = subprocess.run(
        [sys.executable, str(benchmark), "--smoke"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert done.returncode == 0, f"{benchmark.name} --smoke failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert FIGURE.search(done.stdout), f"{benchmark.name} --smoke printed no figure:\n{done.stdout[-2000:]}"


def test_a_smoke_run_is_tiny_and_flags_given_still_win() -> None:
    import argparse

    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks._options import parse_args

    def parser() -> argparse.ArgumentParser:
        p = argparse.ArgumentParser()
        p.add_argument("--modules", type=int, default=2000)
        return p

    assert parse_args(parser(), {"modules": 5}, []).modules == 2000
    assert parse_args(parser(), {"modules": 5}, ["--smoke"]).modules == 5
    assert parse_args(parser(), {"modules": 5}, ["--smoke", "--modules", "7"]).modules == 7
