"""Running git in a test's repository, as a test author (no global git configuration needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

AUTHOR = ("-c", "user.name=Test", "-c", "user.email=test@example.org")


def git(repo: Path, *args: str) -> str:
    """`git <args>` in `repo`; its output without the trailing newline. Fails the test when git fails."""
    done = subprocess.run(["git", "-C", str(repo), *AUTHOR, *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()
