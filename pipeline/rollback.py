"""Roll a module back: restore its file as it was at a Git ref; deploying it then records a new revision."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import ConfigError
from pipeline.github.git import run_git
from pipeline.module.canonical import write_atomically
from pipeline.module.document import ModuleLoadError, parse_module
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.propose.proposal import ProposalResult


@dataclass(frozen=True)
class RestoredFile:
    """What restore_module_file did."""

    module_id: str
    ref: str
    commit: str  # the ref resolved
    path: Path
    changed: bool  # False when the working tree already held that content
    revision_in_file: int | None

    def render(self) -> str:
        if not self.changed:
            return f"{self.path}: already as at {self.ref} ({self.commit[:12]}); nothing to restore"
        return (
            f"restored {self.path} from {self.ref} ({self.commit[:12]}); review it, commit it and deploy "
            "(deploy records a new revision with this content)"
        )


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return run_git(repo, *args, needed_for="rollback")


def restore_module_file(module_id: str, ref: str, settings: Settings) -> RestoredFile:
    """Write data/modules/<module_id>.json as it was at `ref` (atomically) into the working tree."""
    folder = settings.modules_dir.resolve()
    path = folder / f"{module_id}.json"
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top.returncode:
        raise ConfigError(f"{settings.modules_dir} is not inside a Git work tree; rollback restores files from Git")
    root = Path(top.stdout.decode().strip())
    relative = path.relative_to(root).as_posix()
    resolved = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if ref.startswith("-") or resolved.returncode:
        raise ConfigError(f"{ref!r} is not a commit, branch or tag in {root}; see `git log --oneline -- {relative}`")
    commit = resolved.stdout.decode().strip()
    shown = _git(root, "show", f"{commit}:{relative}")
    if shown.returncode:
        raise ConfigError(
            f"{relative} does not exist at {ref} ({commit[:12]}); "
            f"`git log --oneline -- {relative}` lists the commits that have it"
        )
    try:
        document = parse_module(shown.stdout, path)
    except ModuleLoadError as exc:
        raise ConfigError(f"{relative} at {ref} is not a readable module: {exc.problem.message}") from None
    if document.module_id != module_id:
        raise ConfigError(f"{relative} at {ref} holds module {document.module_id!r}, not {module_id!r}")
    changed = write_atomically(path, shown.stdout)
    revision = document.data.get("metadata", {}).get("revision")
    return RestoredFile(module_id, ref, commit, path, changed, revision if isinstance(revision, int) else None)


def propose_rollback(restored: RestoredFile, settings: Settings) -> ProposalResult:
    """Open (or update) the PR `rollback/<module_id>` that puts the restored file on main, for review."""
    from pipeline.github.client import open_repository
    from pipeline.propose.proposal import propose_module_file

    reason = (
        f"Rolls `{restored.module_id}` back to its content at `{restored.ref}` ({restored.commit[:12]}). "
        "Merging deploys it as a new revision; students keep their progress."
    )
    return propose_module_file(
        open_repository(settings),
        restored.path,
        settings=settings,
        branch=f"rollback/{restored.module_id}",
        reason=reason,
    )


@dataclass(frozen=True)
class RollbackReport:
    """The file restored and, when GitHub is configured, the rollback PR."""

    restored: RestoredFile
    proposal: ProposalResult | None

    @property
    def ok(self) -> bool:
        return self.proposal is None or self.proposal.action != "failed"

    def lines(self) -> list[str]:
        return [self.restored.render()] + ([self.proposal.line()] if self.proposal else [])


def rollback(module_id: str, ref: str, settings: Settings, *, open_pr: bool = True) -> RollbackReport:
    """Restore the module file from `ref`; then, unless told not to and when GitHub is configured, open its PR."""
    restored = restore_module_file(module_id, ref, settings)
    if not open_pr or not (settings.github_token and settings.github_repository):
        return RollbackReport(restored, None)
    return RollbackReport(restored, propose_rollback(restored, settings))
