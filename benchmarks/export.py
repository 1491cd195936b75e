"""Benchmark: export 100 Notion pages of ~40 blocks (nested) from the fake at Notion's 3 requests/second.

    python benchmarks/export.py [--pages N] [--latency SECONDS] [--rate PER_SECOND]

Prints the requests made against the minimum the block trees need, the 429s received, the wall time against the
floor (requests / rate), and what a no-change rerun costs. Aims: zero 429s, within 15% of the floor, and a rerun
of at most one query page per 100 modules.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._options import parse_args
from pipeline.export import export_pages
from pipeline.settings import Settings
from tests.fakes import notion_blocks as b
from tests.fakes.notion_server import NotionFake
from tests.notion.pages import module_properties
from tests.paths import copy_sample_data


def page_body(index: int) -> list[dict]:
    """~40 top-level blocks: objectives and four sections of prose, lists (one nested), code and a quote."""
    blocks = [b.heading(2, "Learning Objectives"), *[b.bulleted(f"Objective {n} of module {index}") for n in range(3)]]
    for section in range(1, 5):
        blocks += [
            b.heading(2, f"Section {section}: Part {section}"),
            b.paragraph(f"Module {index}, part {section}: why this matters."),
            b.paragraph("A second paragraph with more detail about the bench."),
            b.bulleted("A point with details", [b.bulleted("Detail one"), b.bulleted("Detail two")]),
            b.bulleted("Another point"),
            b.numbered("First step"),
            b.numbered("Second step"),
            b.quote("Safety first."),
            b.code("print('hello')", "python"),
        ]
    return blocks


def minimum_requests(fake: NotionFake, pages: int) -> int:
    """One query page per 100 pages, plus one children page per 100 children of every block that has any."""
    lists = sum(
        max(1, math.ceil(len(kids) / 100))
        for parent, kids in fake.children.items()
        if kids and (parent in fake.pages or fake.blocks[parent]["has_children"])
    )
    return math.ceil(pages / 100) + lists


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rate", type=float, default=3.0, help="the fake's limit and the exporter's pace")
    args = parse_args(parser, {"pages": 3, "latency": 0.0, "rate": 100.0})

    fake = NotionFake()
    _, data_source_id = fake.add_module_library()
    for index in range(args.pages):
        fake.add_page(data_source_id, module_properties(f"bench-module-{index:03d}"), page_body(index))
    blocks = len(fake.blocks)
    fake.rate_limit(args.rate, burst=3)
    fake.latency = args.latency
    with tempfile.TemporaryDirectory() as tmp:
        copy_sample_data(Path(tmp))
        settings = Settings(
            notion_token=fake.token,
            notion_data_source_id=data_source_id,
            notion_base_url=fake.base_url,
            modules_dir=Path(tmp) / "data" / "modules",
            notion_requests_per_second=args.rate,
        )
        started = time.monotonic()
        report = export_pages(settings)
        wall = time.monotonic() - started
        requests, limited = len(fake.log), fake.count(status=429)
        fake.clear_log()
        rerun_started = time.monotonic()
        rerun = export_pages(settings)
        rerun_wall = time.monotonic() - rerun_started
    fake.close()

    floor = requests / args.rate
    needed = minimum_requests(fake, args.pages)
    print(f"pages: {args.pages} ({blocks} blocks), latency {args.latency * 1000:.0f} ms, limit {args.rate:g}/s")
    print(report.summary())
    print(f"requests: {requests} (minimum for these trees: {needed}, ratio {requests / needed:.2f})")
    print(f"429s received: {limited}")
    print(f"wall time: {wall:.1f} s, floor {floor:.1f} s (requests / {args.rate:g} per s), ratio {wall / floor:.3f}")
    print(f"no-change rerun: {rerun.summary()}; {len(fake.log)} request(s) {dict(fake.counters())}, {rerun_wall:.2f} s")
    # Aims: no 429, within 15% of the pacing floor, and a quiet rerun reads the schema once plus one query page per
    # 100 pages. They are printed, not the exit status: that says whether the run itself worked.
    rerun_budget = 1 + math.ceil(args.pages / 100)
    aims = limited == 0 and wall <= floor * 1.15 and len(fake.log) <= rerun_budget
    print(f"aims (no 429, wall <= 1.15 x floor, rerun <= {rerun_budget} requests): {'met' if aims else 'NOT met'}")
    return 0 if report.ok and rerun.ok else 1


if __name__ == "__main__":
    sys.exit(main())
