"""The pipeline's error hierarchy: every foreseeable failure is one of these."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.module.problems import Problem


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose; its message is shown to users as is."""

    exit_code = 1


class ConfigError(PipelineError):
    """Configuration or usage is wrong (a missing variable, a bad flag, a path that does not exist)."""

    exit_code = 2


class ValidationFailed(PipelineError):
    """One or more module files were refused; `problems` says where and why."""

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(message or f"{len(self.problems)} problem(s) in module files")


class NotionError(PipelineError):
    """Notion refused or failed a request; carries Notion's own code when there is one.

    `exit_code` 2 when the configuration is at fault (a token Notion does not accept), else 1.
    """

    def __init__(self, message: str, code: str | None = None, status: int | None = None, exit_code: int = 1) -> None:
        self.code = code
        self.status = status
        self.exit_code = exit_code
        super().__init__(message)


class GitHubError(PipelineError):
    """GitHub refused or failed a request; carries the HTTP status when there is one.

    `exit_code` 2 when the configuration is at fault (bad token, unknown repository), else 1.
    """

    def __init__(self, message: str, status: int | None = None, exit_code: int = 1) -> None:
        self.status = status
        self.exit_code = exit_code
        super().__init__(message)


class DatabaseError(PipelineError):
    """The database could not be reached or refused a statement; the message shows the URL masked."""


class DeployRefused(PipelineError):
    """Deploy will not run as asked (drift, mass archive, invalid files); nothing was changed."""
