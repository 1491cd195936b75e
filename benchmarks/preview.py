"""Benchmark: preview 200 modules of 12 sections each, with and without --base (a PR rarely has more than a few).

python benchmarks/preview.py [--modules N] [--sections S] [--runs R]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._options import parse_args
from benchmarks.validate import write_generated_tree
from pipeline.preview.build import build_preview
from pipeline.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def _timed(runs: int, action) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--sections", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    args = parse_args(parser, {"modules": 3, "sections": 3, "runs": 1})
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        data = repo / "data"
        modules = write_generated_tree(data, args.modules, args.sections)
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
        subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
        subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
        subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
        settings = Settings(modules_dir=modules)
        out = repo / "preview"
        build_preview([modules], out, settings)  # warm-up: the Markdown parser
        plain = _timed(args.runs, lambda: build_preview([modules], out, settings))
        based = _timed(args.runs, lambda: build_preview([modules], out, settings, base_ref="HEAD"))
        size = sum(p.stat().st_size for p in out.rglob("*.html")) / args.modules / 1024
    print(f"preview: {args.modules} modules x {args.sections} sections, {args.runs} runs; ~{size:.0f} KiB per page")
    for name, timings in (("pages only", plain), ("--base HEAD", based)):
        median = statistics.median(timings)
        print(
            f"  {name:<11} median {median:.2f} s (min {min(timings):.2f}, max {max(timings):.2f}) "
            f"= {median / args.modules * 1000:.1f} ms per module"
        )
    print(f"  --base costs {statistics.median(based) / statistics.median(plain):.2f}x (one `git show` per module)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
