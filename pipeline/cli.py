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


def _cmd_propose(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.propose import propose_modules

    report = propose_modules(args.paths or None, settings, notion_base_url=args.notion_web_url)
    for result in report.results:
        print(result.line())
    print(f"propose: {report.summary()}")
    return 0 if report.ok else 1


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

    propose = sub.add_parser("propose", help="open or update one branch and pull request per changed module file")
    propose.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                         help="module files or folders (default: data/modules)")
    propose.add_argument("--notion-web-url", default=None, metavar="URL",
                         help="root of the Notion page links in PR bodies (default: https://www.notion.so)")
    propose.set_defaults(handler=_cmd_propose)
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
