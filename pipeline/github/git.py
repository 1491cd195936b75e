"""Running the git command line for the stages that read history (preview --base, rollback, deploy's commit)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.errors import ConfigError


def run_git(cwd: Path, *args: str, needed_for: str) -> subprocess.CompletedProcess[bytes]:
    """`git <args>` in `cwd`, output captured; ConfigError naming `needed_for` when git cannot be run at all."""
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False, timeout=60)
    except OSError as exc:
        raise ConfigError(f"{needed_for} needs git, which cannot be run here ({exc.strerror}); install Git") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{needed_for}: `git {' '.join(args)}` did not finish within 60 s in {cwd}") from None
