"""dev.py and .ci/run: the set-up commands a fresh clone relies on."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import REPO_ROOT


def test_ci_runs_the_lint_before_the_readme_test_command_and_stops_when_it_fails() -> None:
    script = (REPO_ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines() if "dev.py" in line and not line.startswith("#")]

    assert "set -euo pipefail" in script  # a failing lint ends the run before the tests
    assert commands == ["python3 dev.py lint", "exec python3 dev.py test"]
    readme = (REPO_ROOT / "README.md").read_text()
    assert "python3 dev.py test" in readme.split("\n## ")[0]


def test_an_unknown_dev_command_prints_the_usage_and_exits_2() -> None:
    done = subprocess.run([sys.executable, "dev.py", "lnit"], cwd=REPO_ROOT, capture_output=True, text=True)

    assert done.returncode == 2
    assert "python3 dev.py lint" in done.stdout
