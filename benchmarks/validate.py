"""Benchmark: validate 2,000 modules of 12 sections each (target: under 2 s on 2 cores).

python benchmarks/validate.py [--modules N] [--runs R]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._options import parse_args
from pipeline.module.canonical import write_module
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.module_builders import sample_module
from tests.paths import SAMPLE_ASSETS


def generated_module(index: int, sections: int) -> dict:
    """A realistic module: the lab-safety sample's section kinds, repeated to `sections` sections."""
    base = sample_module(module_id=f"bench-module-{index:05d}")
    base["prerequisites"] = [f"bench-module-{index - 1:05d}"] if index else []
    template = base["sections"]
    out = []
    for number in range(1, sections + 1):
        section = dict(template[(number - 1) % len(template)])
        section["section_id"] = f"section-{number}"
        section["section_number"] = number
        if section["section_type"] == "text":
            # Realistic prose: a colon, and now and then an image under /assets/ (both take the full parse).
            picture = "\n\n![Floor plan](/assets/lab-safety-101/floor-plan.png)" if (index + number) % 4 == 0 else ""
            section["content"] = (
                f"## Part {number} of module {index}\n\nNote: read this part carefully.\n\n"
                + section["content"]
                + picture
            )
        out.append(section)
    base["sections"] = out
    return base


def write_generated_tree(data: Path, modules: int, sections: int) -> Path:
    """data/assets (the samples', from examples/assets) and data/modules with `modules` generated modules; returns
    data/modules."""
    shutil.copytree(SAMPLE_ASSETS, data / "assets")
    folder = data / "modules"
    for index in range(modules):
        write_module(folder / f"bench-module-{index:05d}.json", generated_module(index, sections))
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--sections", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    args = parse_args(parser, {"modules": 5, "sections": 3, "runs": 1})
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        modules = write_generated_tree(data, args.modules, args.sections)
        settings = Settings(modules_dir=modules)
        validate_paths([modules], settings)  # warm-up: compiles the schema and the Markdown parser
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = validate_paths([modules], settings)
            timings.append(time.perf_counter() - started)
            assert report.ok, report.problems[:3]
    median = statistics.median(timings)
    per_module_ms = median / args.modules * 1000
    print(f"validate: {args.modules} modules x {args.sections} sections, {args.runs} runs")
    print(
        f"  median {median:.2f} s  (min {min(timings):.2f} s, max {max(timings):.2f} s)  "
        f"= {per_module_ms:.2f} ms per module"
    )
    print(f"  target  < 2.00 s: {'met' if median < 2 else 'NOT met'} (ratio {median / 2:.2f} of budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
