"""What every benchmark's command line shares: `--smoke`, the tiny run the test suite makes of it.

A smoke run proves that a benchmark still runs against today's code (its set-up, its assertions, its printing)
in a second or two; its figures mean nothing. The full run stays the command without `--smoke`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

SMOKE_HELP = "a tiny run (a few modules, a second of load) that the test suite makes; its figures mean nothing"


def parse_args(
    parser: argparse.ArgumentParser, smoke: dict[str, Any], argv: list[str] | None = None
) -> argparse.Namespace:
    """Parse the command line; with `--smoke`, the `smoke` values replace the defaults (flags given still win)."""
    argv = sys.argv[1:] if argv is None else argv
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    if "--smoke" in argv:
        parser.set_defaults(**smoke)
    return parser.parse_args(argv)
