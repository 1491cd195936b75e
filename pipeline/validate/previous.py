"""The versions a change is checked against for the rules across time (a running experiment never changes):
the PR's base branch (`validate --base REF`) or what is live in the database (deploy)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from pipeline.errors import ConfigError
from pipeline.github.git import run_git
from pipeline.module.document import ModuleLoadError, parse_module
from pipeline.validate.rules import PreviousVersions, collect_module_files

log = logging.getLogger(__name__)

_LIVE_EXPERIMENTS_SQL = text(
    "SELECT m.module_id, r.document FROM modules m JOIN module_revisions r "
    "ON r.module_id = m.module_id AND r.revision = m.revision "
    "WHERE m.archived_at IS NULL AND r.document ? 'experiments'"
)


def previous_at_ref(paths: Sequence[Path], ref: str) -> PreviousVersions:
    """The module files among `paths` as they were at the Git ref `ref` (new modules are simply absent)."""
    if not ref or ref.startswith("-"):
        raise ConfigError(f"--base {ref!r}: give a branch, tag or commit such as origin/main")
    documents: dict[str, dict[str, Any]] = {}
    for path in collect_module_files(paths):
        folder = path.resolve().parent
        shown = run_git(folder, "show", f"{ref}:./{path.name}", needed_for="validate --base")
        if shown.returncode != 0:
            continue  # not at the base: a new module
        try:
            data = parse_module(shown.stdout, path).data
        except ModuleLoadError as exc:
            log.warning("%s at %s cannot be read (%s); its experiments are not compared", path, ref, exc)
            continue
        if isinstance(data.get("module_id"), str):
            documents[data["module_id"]] = data
    return PreviousVersions(documents, f"on {ref}")


def previous_live(conn: Connection) -> PreviousVersions:
    """The live revisions of the modules that declare experiments."""
    rows = conn.execute(_LIVE_EXPERIMENTS_SQL).all()
    return PreviousVersions({row.module_id: row.document for row in rows}, "live in the database")
