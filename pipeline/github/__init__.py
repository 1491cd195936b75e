"""The GitHub adapter: PyGithub configured from settings (`client`) and the git command line (`git`)."""

from pipeline.github.client import github_errors, open_repository
from pipeline.github.git import run_git

__all__ = ["github_errors", "open_repository", "run_git"]
