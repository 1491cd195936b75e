"""`python -m pipeline <command>`: thin commands over the library; exit 0 ok, 1 refused, 2 bad usage."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.settings import Settings, redact

Handler = Callable[[argparse.Namespace, Settings], int]


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.problems import format_github, format_json
    from pipeline.validate import validate_paths

    report = validate_paths(args.paths or [settings.modules_dir], settings)
    if args.format == "json":
        print(format_json(report.problems, report.files_checked))
    else:
        for problem in report.problems:
            print(format_github(problem) if args.format == "github" else str(problem))
        print(report.summary())
    return 0 if report.ok else 1


def _cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.preview import build_preview, summarise_preview

    result = build_preview(args.paths, args.out, settings, base_ref=args.base)
    if args.summary is not None:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(summarise_preview(result))
    print(result.summary())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser("validate", help="check module files against the schema and the semantic rules")
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                          help="files or folders (default: data/modules)")
    validate.add_argument("--format", choices=("text", "github", "json"), default="text",
                          help="text (path:line: /pointer: message), github (PR annotations) or json")
    validate.set_defaults(handler=_cmd_validate)

    preview = sub.add_parser("preview", help="write static HTML pages of module files for reviewers")
    preview.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="module files or folders")
    preview.add_argument("--out", type=Path, required=True, metavar="DIR",
                         help="folder for index.html, modules/ and assets/ (emptied if it holds an earlier preview)")
    preview.add_argument("--base", metavar="REF", help="show what changed since this Git ref (e.g. origin/main)")
    preview.add_argument("--summary", type=Path, metavar="FILE",
                         help="append a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)")
    preview.set_defaults(handler=_cmd_preview)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        handler: Handler = args.handler
        return handler(args, settings)
    except PipelineError as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
