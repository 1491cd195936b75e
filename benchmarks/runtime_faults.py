"""Fault run: the runtime API under gunicorn and load while PostgreSQL is stopped cleanly, then killed.

    .venv/bin/python benchmarks/runtime_faults.py [--seconds 30] [--clients 4] [--smoke]

Prints the answers by status, the 503s without Retry-After, the answers once the database is back (the API is not
restarted), and events acknowledged / stored / lost. Exits 1 unless there was no 500, every 503 carried
Retry-After, the last phase was all 200s and no acknowledged event was lost: so the test suite's `--smoke` run (6 s)
is the durability test (tests/benchmarks/test_smoke.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._options import parse_args
from tests.runtime.faults import run_fault


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=4, help="clients posting event batches (plus one reader)")
    args = parse_args(parser, {"seconds": 6.0})
    with tempfile.TemporaryDirectory(prefix="runtime-faults-") as work:
        report = run_fault(args.seconds, Path(work), clients=args.clients)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
