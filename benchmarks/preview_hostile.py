"""Benchmark: validate and preview one module file (~4.9 MB) filled with Markdown that is costly to parse.

python benchmarks/preview_hostile.py [--megabytes M] [--runs R] [--patterns NAME,...]

Each pattern repeats a short Markdown piece to fill text sections of 100,000 characters (the schema's limit)
until the file reaches --megabytes. Prints, per pattern, the median seconds of `validate` and of `preview` and
the preview's seconds per MB: with a bound per section, preview time grows with the file, never faster.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._options import parse_args
from pipeline.module.canonical import write_module
from pipeline.preview.build import build_preview
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.module_builders import sample_module, text_section

SECTION_CHARS = 100_000
PATTERNS = {
    "unclosed-image": "![",  # the reported case: 105 s to preview 5 MB
    "unclosed-link": "[",
    "closed-links": "[a](b) ",
    "emphasis": "**a",
    "mixed-emphasis": "*a_",
    "short-lines": "a\n",
    "backslashes": "\\",
    "prose": "Wear goggles at the bench, and read the safety sheet first. ",
    # Costly text validate accepts: the limits of pipeline/module/markdown_policy.py all but used up.
    "at-the-limits": "![" * 2 + "*a_" * 3_000 + "a\n" * 3_990 + "words ",
}


def section_text(piece: str) -> str:
    """100,000 characters: a long piece once, padded with its last six characters; a short one repeated."""
    head, filler = (piece, piece[-6:]) if len(piece) > 100 else ("", piece)
    return (head + filler * (SECTION_CHARS // len(filler) + 1))[:SECTION_CHARS]


def hostile_module(piece: str, megabytes: float) -> dict:
    """The lab-safety sample with text sections of `piece`, about `megabytes` as a file (escapes counted)."""
    content = section_text(piece)
    count = max(1, min(200, int(megabytes * 1_000_000 // len(json.dumps(content, ensure_ascii=False)))))
    return sample_module(
        module_id="hostile", sections=[text_section(f"part-{n}", n, content) for n in range(1, count + 1)]
    )


def _median(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=4.9)  # files are at most 5 MiB
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--patterns", default=",".join(PATTERNS), help="comma-separated names from the list")
    args = parse_args(parser, {"megabytes": 0.05, "runs": 1})
    names = [name for name in args.patterns.split(",") if name]
    print(f"validate and preview of one ~{args.megabytes:g} MB module, median of {args.runs} run(s)")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        modules = data / "modules"
        modules.mkdir(parents=True)
        (data / "assets").mkdir()
        settings = Settings(modules_dir=modules)
        for name in names:
            path = modules / "hostile.json"
            write_module(path, hostile_module(PATTERNS[name], args.megabytes))
            size = path.stat().st_size / 1_000_000
            checked = _median(args.runs, lambda path=path: validate_paths([path], settings))
            previewed = _median(args.runs, lambda path=path: build_preview([path], Path(tmp) / "out", settings))
            accepted = validate_paths([path], settings).ok
            print(
                f"  {name:<15} {size:5.2f} MB  validate {checked:6.2f} s ({'accepted' if accepted else 'refused'})"
                f"  preview {previewed:6.2f} s = {previewed / size:5.2f} s/MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
