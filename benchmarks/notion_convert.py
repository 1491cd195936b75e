"""Conversion speed: Notion block trees to Markdown, and a whole Module Library page to a module.

Run: .venv/bin/python benchmarks/notion_convert.py [--repeats N] [--copies C]  (prints medians of 7 runs)
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._options import parse_args  # noqa: E402
from pipeline.notion.blocks import blocks_to_markdown  # noqa: E402
from pipeline.notion.page_mapping import page_to_module  # noqa: E402
from tests.notion.builders import SAFETY_PAGE_ID, code, library_page, media, rich, text  # noqa: E402


def _count(blocks: list[dict]) -> int:
    return sum(1 + _count(b.get("children") or []) for b in blocks)


def _median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each conversion")
    parser.add_argument("--copies", type=int, default=10, help="copies of the recorded blocks converted at once")
    parser.add_argument("--sections", type=int, default=50, help="sections of the generated page")
    args = parse_args(parser, {"repeats": 1, "copies": 1, "sections": 3})
    cases = json.loads((ROOT / "tests/data/notion/notion-md-converter-cases.json").read_text(encoding="utf-8"))
    recorded = [block for case in cases for block in case["blocks"]]
    big = [copy.deepcopy(b) for _ in range(args.copies) for b in recorded]
    n = _count(big)
    seconds = _median_seconds(lambda: blocks_to_markdown(big, page_id="p"), args.repeats)
    print(f"blocks_to_markdown: {n} recorded blocks in {seconds * 1000:.1f} ms ({n / seconds:,.0f} blocks/s)")

    body = [rich("heading_1", "Learning Objectives"), rich("bulleted_list_item", "Learn")]
    for i in range(args.sections):
        body += [rich("heading_2", f"Section {i + 1}: Part {i}"), rich("paragraph", "Some ", text("bold", bold=True))]
        body += [rich("bulleted_list_item", f"point {j}") for j in range(10)]
        body += [media("image", f"https://example.org/{i}.png"), code("print('x')", "python")]
    page = library_page()
    m = _count(body)
    seconds = _median_seconds(
        lambda: page_to_module(page, body, prerequisite_ids={SAFETY_PAGE_ID: "lab-safety-101"}), args.repeats
    )
    print(
        f"page_to_module: {args.sections} sections, {m} blocks in {seconds * 1000:.1f} ms ({m / seconds:,.0f} blocks/s)"
    )


if __name__ == "__main__":
    main()
