"""Find `python -m pipeline …` calls in text (workflows, docs) and say which commands or flags the CLI lacks."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable

from pipeline.cli import build_parser

# `python -m pipeline [-v] <command> [<subcommand>]`; a third word (a path, a module id) is not a command.
PIPELINE_CALL = re.compile(r"python3? -m pipeline(?: -v| --verbose)? ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def resolve(words: list[str]) -> tuple[argparse.ArgumentParser | None, str]:
    """The (sub)parser that handles `python -m pipeline <words…>` (None if a command is unknown), and its path."""
    parser: argparse.ArgumentParser | None = build_parser()
    found: list[str] = []
    for word in words:
        choices = _subparsers(parser) if parser else {}
        if not choices:
            break
        parser = choices.get(word)
        if parser is None:
            return None, " ".join([*found, word])
        found.append(word)
    return parser, " ".join(found)


def call_problems(line: str, extra_flags: Iterable[str] = ()) -> list[str]:
    """What is wrong with each pipeline call in `line`: an unknown command, or a flag its parser does not have.

    Flags are those after the call on the same line (up to the next call), plus `extra_flags` (e.g. a shell array
    a workflow builds on another line).
    """
    problems: list[str] = []
    calls = list(PIPELINE_CALL.finditer(line))
    for index, call in enumerate(calls):
        parser, command = resolve(call.group(1).split())
        if parser is None:
            problems.append(f"`python -m pipeline {command}`: no such command")
            continue
        end = calls[index + 1].start() if index + 1 < len(calls) else len(line)
        known = {option for action in parser._actions for option in action.option_strings}
        problems += [
            f"`python -m pipeline {command}` has no option {flag}"
            for flag in [*FLAG.findall(line[call.end() : end]), *extra_flags]
            if flag not in known
        ]
    return problems
