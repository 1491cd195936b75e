#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+.

    python3 dev.py run     # create .venv, install, run the main job on the examples and the embedded defaults
    python3 dev.py test    # create .venv, install, run the whole test suite
    python3 dev.py lint    # ruff check, ruff format --check, mypy on pipeline/ (CI runs it before the tests)
    python3 dev.py bench   # run every benchmark in benchmarks/

The virtual environment is rebuilt only when requirements*.txt change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".requirements-sha256"
# The browser tests (tests/preview/test_browser.py) drive Debian's Chromium; they skip, saying why, without it.
CHROMIUM = Path("/usr/bin/chromium")
# The main job, step by step, on the embedded defaults (no credentials, no servers to install).
RUN_STEPS = [["validate"], ["db", "upgrade"], ["deploy"], ["status"]]
# The habits, checked (configuration in pyproject.toml): lint, format, types.
LINT_STEPS = [
    ["-m", "ruff", "check", "."],
    ["-m", "ruff", "format", "--check", "."],
    ["-m", "mypy"],
]
# What it deploys: the demo modules (their assets are the sibling examples/assets). A real repository's
# data/modules/ starts empty, so that the demos never reach students; MODULES_DIR set by the caller wins.
EXAMPLE_MODULES = "examples/modules"
# Benchmarks whose full size takes minutes run reduced here; run them by hand for the full figures.
BENCH_FLAGS = {"runtime.py": ["--quick"]}


def ensure_environment() -> None:
    wanted = hashlib.sha256(
        b"".join((ROOT / name).read_bytes() for name in ("requirements.txt", "requirements-dev.txt"))
    ).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print("dev.py: creating .venv", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("dev.py: installing requirements-dev.txt into .venv", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / "requirements-dev.txt")], check=True)
    STAMP.write_text(wanted)


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when it is missing and we may (root, apt-get)."""
    if CHROMIUM.exists():
        return
    is_root = getattr(os, "geteuid", lambda: 1)() == 0
    if not (is_root and shutil.which("apt-get") and Path("/etc/debian_version").exists()):
        print(
            f"dev.py: {CHROMIUM} is missing and only root on Debian can install it here; browser tests will skip",
            flush=True,
        )
        return
    print(
        "dev.py: installing chromium for the browser tests: apt-get update -qq && apt-get install -y -qq chromium",
        flush=True,
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.call(["apt-get", "update", "-qq"], env=env) or subprocess.call(
        ["apt-get", "install", "-y", "-qq", "chromium"], env=env, stdout=subprocess.DEVNULL
    ):
        print("dev.py: installing chromium failed; the browser tests will skip and say why", flush=True)


def run(*args: str, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(PYTHON), *args], cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command not in ("run", "test", "lint", "bench"):
        print(__doc__)
        return 0 if command in ("help", "-h", "--help") else 2
    ensure_environment()
    if command == "run":
        env = {**os.environ, "MODULES_DIR": os.environ.get("MODULES_DIR") or EXAMPLE_MODULES}
        print(f"dev.py: MODULES_DIR={env['MODULES_DIR']}", flush=True)
        for step in RUN_STEPS:
            print(f"$ python -m pipeline {' '.join(step)}", flush=True)
            status = run("-m", "pipeline", *step, env=env)
            if status:
                return status
        return 0
    if command == "lint":
        failed = [" ".join(step[1:]) for step in LINT_STEPS if run(*step)]
        if failed:
            print(f"dev.py lint: failed: {'; '.join(failed)} (ruff format . rewrites the files it names)", flush=True)
        return 1 if failed else 0
    if command == "test":
        ensure_chromium()
        return run("-m", "pytest", *argv[1:])
    status = 0
    for bench in sorted(p for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_")):
        print(f"== {bench.name}", flush=True)
        status |= run(str(bench), *BENCH_FLAGS.get(bench.name, []))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
