"""A `Problem` is one thing wrong with one file, located by path, line and JSON pointer."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]  # an error refuses the file; a warning is reported and passes


@dataclass(frozen=True, order=True)
class Problem:
    """What is wrong, where: `path:line: /json/pointer: message`."""

    path: str
    line: int | None
    pointer: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        pointer = self.pointer or "/"
        return f"{where}: {pointer}: {self.message}"


def display_path(path: Path | str) -> str:
    """The path as a user would type it: relative to the working directory when inside it."""
    absolute = os.path.abspath(path)  # no symlink resolution: cheap, and shows the path the user gave
    cwd = os.getcwd()
    return absolute[len(cwd) + 1 :] if absolute.startswith(cwd + os.sep) else str(path)


def _escape_annotation(text: str, is_property: bool = False) -> str:
    # GitHub's workflow-command escaping: %, CR and LF always; ':' and ',' in properties.
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(problem: Problem) -> str:
    """One `::error file=…,line=…,title=…::message` workflow command (a PR annotation)."""
    props = [f"file={_escape_annotation(problem.path, True)}"]
    if problem.line:
        props.append(f"line={problem.line}")
    props.append(f"title={_escape_annotation(problem.pointer or '/', True)}")
    level = "warning" if problem.severity == "warning" else "error"
    return f"::{level} {','.join(props)}::{_escape_annotation(problem.message)}"


def format_json(problems: Iterable[Problem], files_checked: int) -> str:
    """A machine-readable report."""
    items = [asdict(p) for p in problems]
    errors = sum(1 for p in items if p["severity"] == "error")
    return json.dumps(
        {"files_checked": files_checked, "errors": errors, "problems": items}, indent=2, ensure_ascii=False
    )
