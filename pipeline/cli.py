"""`python -m pipeline <command>`: thin commands over the library; exit 0 ok, 1 refused, 2 bad usage."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
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


# --- workflows: backup, webhook ---
def _cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.backup import backup_library

    out = args.out or Path("data/backups/notion") / datetime.now(UTC).date().isoformat()
    print(backup_library(settings, out).summary())
    return 0


def _cmd_webhook_serve(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.webhook import serve

    serve(settings, host=args.host, port=args.port)
    return 0
# --- end workflows ---


# --- notion: export, notion check ---
def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.export import export_pages

    report = export_pages(settings, page_id=args.page, all_pages=args.all)
    for page in report.pages:
        print(page)
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_notion_check(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.notion.check import check_module_library

    report = check_module_library(settings)
    for issue in report.issues:
        print(issue)
    print(report.summary())
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

    # --- workflows: backup, webhook ---
    backup = sub.add_parser("backup", help="save the raw Notion JSON of every Module Library page and its blocks")
    backup.add_argument("--out", type=Path, metavar="DIR",
                        help="folder for <page_id>.json files (default: data/backups/notion/<UTC date>)")
    backup.set_defaults(handler=_cmd_backup)

    webhook = sub.add_parser("webhook", help="the Notion webhook receiver (Strategy 3, docs/webhook.md)")
    webhook_sub = webhook.add_subparsers(dest="webhook_command", required=True, metavar="COMMAND")
    serve = webhook_sub.add_parser("serve", help="receive Notion webhooks and dispatch the export workflow")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default: 8080)")
    serve.set_defaults(handler=_cmd_webhook_serve)
    # --- end workflows ---

    export = sub.add_parser("export", help="export Notion pages with Status = Ready into data/modules")
    export.add_argument("--page", metavar="PAGE_ID", help="export this one page (whatever its Status)")
    export.add_argument("--all", action="store_true", help="re-read every Ready page, even those not edited since")
    export.set_defaults(handler=_cmd_export)
    notion = sub.add_parser("notion", help="Notion helpers")
    notion_sub = notion.add_subparsers(dest="notion_command", required=True, metavar="SUBCOMMAND")
    notion_check = notion_sub.add_parser("check", help="report Module Library properties that are missing or mistyped")
    notion_check.set_defaults(handler=_cmd_notion_check)
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
