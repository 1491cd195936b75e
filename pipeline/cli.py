"""`python -m pipeline <command>`: thin commands; exit 0 ok, 1 refused, 2 bad usage or configuration."""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ConfigError, PipelineError, ValidationFailed
from pipeline.report import Report
from pipeline.settings import Settings, redact, redact_handlers

if TYPE_CHECKING:
    from pipeline.validate.rules import ValidationReport

Handler = Callable[[argparse.Namespace, Settings], int]


def _finish(report: Report) -> int:
    """Print the report's lines; exit 0 when its input passed, 1 when it was refused."""
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.export import export_pages

    return _finish(export_pages(settings, page_id=args.page, all_pages=args.all))


def _cmd_notion_check(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.notion.check import check_module_library

    return _finish(check_module_library(settings))


def _cmd_notion_init(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.notion.library import create_module_library

    return _finish(create_module_library(settings, args.parent, title=args.title, status_type=args.status_type))


def _cmd_github_check(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.github.check import check_github_access

    return _finish(check_github_access(settings))


def _cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.validate.previous import previous_at_ref
    from pipeline.validate.rules import validate_paths

    paths = args.paths or [settings.modules_dir]
    previous = previous_at_ref(paths, args.base) if args.base else None
    report = validate_paths(paths, settings, require_files=bool(args.paths), previous=previous)
    return _finish(_Formatted(report, args.format))


def _cmd_propose(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.sync import propose

    return _finish(propose(args.paths or None, settings, notion_web_url=args.notion_web_url))


def _cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.sync import sync

    return _finish(sync(settings, page_id=args.page, all_pages=args.all))


def _cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.preview.build import build_preview

    return _finish(build_preview(args.paths, args.out, settings, base_ref=args.base, summary_file=args.summary))


def _cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.db.engine import upgrade_database

    if args.action == "check":
        from pipeline.db.check import check_database

        return _finish(check_database(settings))
    return _finish(upgrade_database(settings))


def _cmd_deploy(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.deploy.apply import deploy

    if args.impact and not args.dry_run:
        raise ConfigError("--impact only reports, it never deploys: give --dry-run --impact")
    if args.format != "text" and not args.impact:
        raise ConfigError("--format json is the learner impact's: give --dry-run --impact --format json")
    if args.impact:
        from pipeline.review.impact import assess_impact

        return _finish(assess_impact(args.paths, settings).in_format(args.format))
    options = {
        "dry_run": args.dry_run,
        "allow_mass_archive": args.allow_mass_archive,
        "force": args.force,
        "plan_file": args.plan_file,
    }
    return _finish(deploy(args.paths, settings, **options))


def _cmd_review_comment(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.review.pull_request import review_pull_request

    report = review_pull_request(
        args.paths,
        settings,
        base_ref=args.base,
        pr_number=args.pr,
        head_sha=args.head_sha,
        impact_path=args.impact,
        preview_url=args.preview_url,
        impact_failed=args.impact_failed,
    )
    return _finish(report)


def _pr_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a pull request number")
    return int(text)


def _cmd_writeback(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.writeback import retry_gone_writebacks, write_back

    if args.retry:
        return _finish(retry_gone_writebacks(settings, args.retry))
    return _finish(write_back(settings))


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.status import live_status

    return _finish(live_status(settings, args.module_id))


def _cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.rollback import rollback

    return _finish(rollback(args.module_id, args.to, settings, open_pr=not args.no_pr))


def _cmd_experiments_report(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.experiments.report import report_experiments

    return _finish(report_experiments(settings, args.experiment_id, args.format))


def _cmd_experiments_conclude(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.experiments.conclude import conclude

    return _finish(conclude(args.experiment_id, args.keep, settings, open_pr=not args.no_pr))


def _cmd_media_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.propose.migration import migrate_media

    return _finish(migrate_media(settings, open_pr=not args.no_pr))


def _cmd_media_gc(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.media.gc import run_gc

    return _finish(run_gc(settings, apply=args.apply, grace_days=args.grace_days))


def _cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.backup import backup_library

    return _finish(backup_library(settings, args.out))


def _cmd_webhook_serve(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.webhook import serve

    serve(settings, host=args.host, port=args.port)
    return 0


class _Formatted:
    """A validation report printed in the `--format` asked for (text, GitHub annotations or JSON)."""

    def __init__(self, report: ValidationReport, output_format: str) -> None:
        self.ok, self._report, self._format = report.ok, report, output_format

    def lines(self) -> list[str]:
        return self._report.lines(self._format)


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.runtime import serve

    serve(settings, host=args.host, port=args.port)
    return 0


def _cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.runtime.auth import issue_token

    return _finish(issue_token(settings, args.student_id, staff=args.staff, minutes=args.minutes))


def _minutes(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 7 * 24 * 60:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes (1 to 10080)")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    return int(text)


def _add_page_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--page", metavar="PAGE_ID", help="only this Notion page (whatever its Status)")
    parser.add_argument("--all", action="store_true", help="re-read every Ready page, even those not edited since")


def _add_paths(parser: argparse.ArgumentParser, help_text: str, nargs: str = "*") -> None:
    parser.add_argument("paths", nargs=nargs, type=Path, metavar="PATH", help=help_text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # Notion -> files
    export = sub.add_parser("export", help="export Notion pages with Status = Ready into data/modules")
    _add_page_options(export)
    export.set_defaults(handler=_cmd_export)
    notion = sub.add_parser("notion", help="Notion helpers")
    notion_sub = notion.add_subparsers(dest="notion_command", required=True, metavar="SUBCOMMAND")
    notion_check = notion_sub.add_parser("check", help="report Module Library properties that are missing or mistyped")
    notion_check.set_defaults(handler=_cmd_notion_check)
    notion_init = notion_sub.add_parser("init", help="create the Module Library database under a Notion page")
    notion_init.add_argument(
        "--parent", required=True, metavar="PAGE_ID", help="the page to create it in (its id or URL; share it first)"
    )
    notion_init.add_argument("--title", default="Module Library", help="the database's name (default: Module Library)")
    notion_init.add_argument(
        "--status-type",
        choices=("status", "select"),
        default=None,
        help="the Status column's type (default: status, or select where Notion cannot create a status column)",
    )
    notion_init.set_defaults(handler=_cmd_notion_init)

    github = sub.add_parser("github", help="GitHub helpers")
    github_sub = github.add_subparsers(dest="github_command", required=True, metavar="SUBCOMMAND")
    github_check = github_sub.add_parser(
        "check", help="can GITHUB_TOKEN make branches, PRs, commit statuses and labels in GITHUB_REPOSITORY?"
    )
    github_check.set_defaults(handler=_cmd_github_check)

    validate = sub.add_parser("validate", help="check module files against the schema and the semantic rules")
    _add_paths(validate, "files or folders (default: data/modules)")
    validate.add_argument(
        "--format",
        choices=("text", "github", "json"),
        default="text",
        help="text (path:line: /pointer: message), github (PR annotations) or json",
    )
    validate.add_argument(
        "--base",
        default=None,
        metavar="REF",
        help="also refuse changes to experiments running at this Git ref (the PR's base, e.g. origin/main)",
    )
    validate.set_defaults(handler=_cmd_validate)

    # files -> pull requests
    propose = sub.add_parser("propose", help="open or update one branch and pull request per changed module file")
    _add_paths(propose, "module files or folders (default: data/modules)")
    propose.add_argument(
        "--notion-web-url",
        default=None,
        metavar="URL",
        help="root of the Notion page links in PR bodies (default: https://www.notion.so)",
    )
    propose.set_defaults(handler=_cmd_propose)
    sync = sub.add_parser("sync", help="export + validate + propose: what the scheduled export workflow runs")
    _add_page_options(sync)
    sync.set_defaults(handler=_cmd_sync)
    preview = sub.add_parser("preview", help="write static HTML pages of module files for reviewers")
    _add_paths(preview, "module files or folders", nargs="+")
    preview.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for index.html, modules/ and assets/ (emptied if it holds an earlier preview)",
    )
    preview.add_argument("--base", metavar="REF", help="show what changed since this Git ref (e.g. origin/main)")
    preview.add_argument(
        "--summary", type=Path, metavar="FILE", help="append a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)"
    )
    preview.set_defaults(handler=_cmd_preview)

    review = sub.add_parser("review", help="the sticky review comment on a module pull request")
    review_sub = review.add_subparsers(dest="review_command", required=True, metavar="SUBCOMMAND")
    comment = review_sub.add_parser(
        "comment", help="render the review comment of the changed module files; with --pr, post it on that PR"
    )
    _add_paths(comment, "the module files the PR changes (deleted ones too)", nargs="+")
    comment.add_argument("--base", required=True, metavar="REF", help="the PR's base, e.g. origin/main")
    comment.add_argument("--pr", type=_pr_number, metavar="NUMBER", help="create or update the comment on this PR")
    comment.add_argument("--head-sha", metavar="SHA", help="the PR's head commit: images are shown from it")
    comment.add_argument("--impact", type=Path, metavar="FILE", help="JSON of deploy --dry-run --impact --format json")
    comment.add_argument("--preview-url", metavar="URL", help="the module-preview artifact's download link")
    comment.add_argument(
        "--impact-failed", action="store_true", help="say the learner impact could not be read (its job failed)"
    )
    comment.set_defaults(handler=_cmd_review_comment)

    # files -> PostgreSQL -> Notion
    db = sub.add_parser("db", help="manage the runtime database schema")
    db.add_argument(
        "action",
        choices=("upgrade", "check"),
        help="upgrade: apply the Alembic migrations; check: connect and show the schema's migration",
    )
    db.set_defaults(handler=_cmd_db)
    deploy = sub.add_parser("deploy", help="make module files live in PostgreSQL, in one transaction")
    _add_paths(deploy, "files or folders (default: data/modules; only a whole folder archives missing modules)")
    deploy.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    deploy.add_argument(
        "--allow-mass-archive", action="store_true", help="allow archiving more than half of the live modules at once"
    )
    deploy.add_argument(
        "--force", action="store_true", help="overwrite modules whose rows were edited outside the pipeline"
    )
    deploy.add_argument(
        "--impact",
        action="store_true",
        help="with --dry-run: learners touched by the plan, read in a read-only transaction (DATABASE_READONLY_URL)",
    )
    deploy.add_argument(
        "--format", choices=("text", "json"), default="text", help="the --impact report as text or JSON"
    )
    deploy.add_argument(
        "--plan-file", type=Path, metavar="FILE", help="also write the full plan, one line per module, to FILE"
    )
    deploy.set_defaults(handler=_cmd_deploy)
    writeback = sub.add_parser("writeback", help="tell Notion what deploy made live: Status, PR link, Last Updated")
    writeback.add_argument(
        "--retry",
        metavar="MODULE_ID",
        help="queue again the writeback closed because the module's Notion page was gone (then run writeback)",
    )
    writeback.set_defaults(handler=_cmd_writeback)
    status = sub.add_parser("status", help="show what is live: revision, hash, commit, time, sections")
    status.add_argument("module_id", nargs="?", help="one module (default: all)")
    status.set_defaults(handler=_cmd_status)
    rollback = sub.add_parser("rollback", help="restore a module file as it was at a Git ref (then deploy it)")
    rollback.add_argument("module_id")
    rollback.add_argument("--to", required=True, metavar="GIT_REF", help="commit, tag or branch to restore from")
    rollback.add_argument(
        "--no-pr",
        action="store_true",
        help="only restore the file, even when GITHUB_TOKEN and GITHUB_REPOSITORY are set",
    )
    rollback.set_defaults(handler=_cmd_rollback)
    experiments = sub.add_parser("experiments", help="A/B experiments on sections: read-out and conclusion")
    experiments_sub = experiments.add_subparsers(dest="experiments_command", required=True, metavar="SUBCOMMAND")
    experiments_report = experiments_sub.add_parser(
        "report", help="exposures, sample-ratio check, metric per arm, difference, P(beats control), verdict"
    )
    experiments_report.add_argument("experiment_id", nargs="?", help="ID or MODULE/ID (default: every experiment)")
    experiments_report.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    experiments_report.set_defaults(handler=_cmd_experiments_report)
    experiments_conclude = experiments_sub.add_parser(
        "conclude", help="make one arm the sections' content, remove the experiment, and open its PR"
    )
    experiments_conclude.add_argument("experiment_id", help="ID or MODULE/ID")
    experiments_conclude.add_argument("--keep", required=True, metavar="ARM", help="the arm_id whose content stays")
    experiments_conclude.add_argument(
        "--no-pr", action="store_true", help="only rewrite the module file, even when GitHub is configured"
    )
    experiments_conclude.set_defaults(handler=_cmd_experiments_conclude)

    media = sub.add_parser("media", help="module media in object storage (docs/media.md)")
    media_sub = media.add_subparsers(dest="media_command", required=True, metavar="COMMAND")
    migrate = media_sub.add_parser("migrate", help="move data/assets/ into the media store and rewrite references")
    migrate.add_argument("--no-pr", action="store_true", help="only rewrite the working tree, open no PR")
    migrate.set_defaults(handler=_cmd_media_migrate)
    gc = media_sub.add_parser("gc", help="delete stored media nobody refers to (a dry run unless --apply)")
    gc.add_argument("--apply", action="store_true", help="delete what the dry run lists")
    gc.add_argument("--grace-days", type=float, metavar="DAYS", help="override MEDIA_GC_GRACE_DAYS (default 30)")
    gc.set_defaults(handler=_cmd_media_gc)

    # operations
    backup = sub.add_parser("backup", help="save the raw Notion JSON of every Module Library page and its blocks")
    backup.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for <page_id>.json files (default: data/backups/notion/<UTC date>)",
    )
    backup.set_defaults(handler=_cmd_backup)
    webhook = sub.add_parser(
        "webhook", help="the Notion webhook receiver that starts the export workflow (docs/webhook.md)"
    )
    webhook_sub = webhook.add_subparsers(dest="webhook_command", required=True, metavar="COMMAND")
    serve = webhook_sub.add_parser("serve", help="receive Notion webhooks and dispatch the export workflow")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="port to listen on (default: 8080)")
    serve.set_defaults(handler=_cmd_webhook_serve)
    runtime = sub.add_parser(
        "serve",
        help="the student runtime API and the learner page /learn/ over the runtime database (docs/runtime-api.md)",
    )
    runtime.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    runtime.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000)")
    runtime.set_defaults(handler=_cmd_serve)
    token = sub.add_parser("token", help="print a token for trying the runtime API (development secret)")
    token.add_argument("student_id", metavar="STUDENT_ID", help="the student the token names (its `sub`)")
    token.add_argument("--staff", action="store_true", help="a staff token: other students, assignments, stats")
    token.add_argument("--minutes", type=_minutes, default=60, help="how long it is valid (default: 60)")
    token.set_defaults(handler=_cmd_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # a non-UTF-8 console or file (cp1252): "→" must not crash a report
        sys.stdout.reconfigure(errors="backslashreplace")
    root = logging.getLogger()
    before = set(root.handlers)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # ours only: never another program's (or pytest's) handlers
    redacting = redact_handlers([h for h in root.handlers if h not in before])
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        redacting.settings = settings
        handler: Handler = args.handler
        return handler(args, settings)
    except ValidationFailed as exc:  # deploy refuses invalid files: the problems go where validate prints them
        for problem in exc.problems:
            print(str(problem))
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr)
        return 1
    except PipelineError as exc:
        print(f"error: {redact(str(exc), settings)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "interrupted before the command finished; run it again to finish (every command is safe to repeat)",
            file=sys.stderr,
        )
        return 130
    except BrokenPipeError:  # the reader stopped reading (`| head`): not worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # or the exit-time flush fails again
        return 1
