"""Where the repository and its sample modules are, for tests and fixtures."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MODULES = REPO_ROOT / "data" / "modules"
