"""What a deploy leaves for people: the full plan in a file, its capped Markdown in the Actions job summary."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pipeline.deploy.plan import DeployPlan
from pipeline.errors import ConfigError
from pipeline.github.git import run_git
from pipeline.module.canonical import write_atomically

log = logging.getLogger("pipeline.deploy.apply")


def git_head(folder: Path) -> str | None:
    """The commit checked out where the module files are, or None outside a Git work tree (or without git)."""
    try:
        done = run_git(folder if folder.is_dir() else folder.parent, "rev-parse", "HEAD", needed_for="deploy")
    except ConfigError:
        return None  # the deploy goes ahead; it records no source commit
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


def write_plan(plan: DeployPlan, dry_run: bool, commit: str | None, plan_file: Path | None) -> None:
    """The full plan to `plan_file` (when given), its capped Markdown to the Actions job summary."""
    if plan_file is not None:
        try:
            write_atomically(plan_file, plan.render_full(dry_run))
        except ConfigError as exc:  # the deploy itself is decided (or done): say so, do not fail it
            log.warning("could not write the full plan: %s", exc)
    _write_step_summary(plan.render_markdown(dry_run, commit))


def _write_step_summary(markdown: str) -> None:
    """Append the plan to the Actions job summary when running in Actions."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        try:
            with open(target, "a", encoding="utf-8") as summary:
                summary.write(markdown)
        except OSError as exc:  # the deploy is committed by now: a missing summary must not look like a failure
            log.warning(
                "could not append the plan to GITHUB_STEP_SUMMARY=%s (%s); the deploy itself succeeded",
                target,
                exc.strerror,
            )
