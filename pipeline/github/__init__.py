"""The GitHub adapter: PyGithub configured from settings (`client`) and the git command line (`git`).

`client` is imported on first use of its names: PyGithub takes a fifth of a second to import, and deploy only
needs `git`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipeline.github.git import run_git

if TYPE_CHECKING:
    from pipeline.github.client import github_errors, open_repository

__all__ = ["github_errors", "open_repository", "run_git"]
_LAZY = {"github_errors": "pipeline.github.client", "open_repository": "pipeline.github.client"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
