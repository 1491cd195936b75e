"""Run a real workflow file the way GitHub Actions does, against the fakes.

Every run starts from a fresh clone of the fake GitHub repository's `main` (its tree materialised in a new folder
and committed with a real `git init`), then executes the `run:` steps of `.github/workflows/<name>.yml` with the
`env:` the file gives them: `${{ secrets.* }}`, `${{ vars.* }}`, `${{ inputs.* }}`, `${{ github.event.* }}` and
`${{ steps.*.outputs.* }}` are evaluated from what the test hands the run, and `GITHUB_STEP_SUMMARY`,
`GITHUB_OUTPUT`, `GITHUB_SHA`, `GITHUB_REPOSITORY` and `GITHUB_API_URL` are set as the runner sets them.

`uses:` steps stand for themselves: checkout is the fresh clone, setup-python is this interpreter (its folder
comes first on PATH), and the App-token step yields no token (so `GITHUB_TOKEN` is the workflow's own). The
`pip install` step is skipped: the requirements are this interpreter's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.fakes.github_fixture import GitHubFake
from tests.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_INSTALL = re.compile(r"^\s*python -m pip install\b")


@dataclass(frozen=True)
class StepOutcome:
    """One step of a run: its name, what was done with it ("ran", "skipped: …") and its exit status."""

    name: str
    done: str
    status: int = 0
    output: str = ""


@dataclass(frozen=True)
class WorkflowRun:
    """What one simulated run did: each step, the job's status, the job summary and the checkout it used."""

    workflow: str
    event: str
    checkout: Path
    sha: str
    steps: tuple[StepOutcome, ...]
    summary: str

    @property
    def ok(self) -> bool:
        return all(step.status == 0 for step in self.steps)

    def explain(self) -> str:
        """Every step's output, for an assertion message."""
        parts = [f"[{self.workflow} on {self.event}]"]
        parts += [f"--- {s.name}: {s.done} (exit {s.status})\n{s.output}" for s in self.steps]
        return "\n".join([*parts, "--- summary", self.summary])


@dataclass
class WorkflowRunner:
    """Runs workflow files against the fakes; `secrets` and `vars` are the repository's, `runner_env` the
    test-only settings a real runner does not need (fake base URLs, no pacing)."""

    root: Path
    github: GitHubFake
    secrets: dict[str, str]
    vars: dict[str, str] = field(default_factory=dict)
    runner_env: dict[str, str] = field(default_factory=dict)
    runs: int = 0

    def fresh_clone(self, ref: str = "main") -> tuple[Path, str]:
        """A new folder holding `ref`'s tree as a one-commit git repository, as actions/checkout leaves it."""
        self.runs += 1
        sha = self.github.head(ref) or ref
        dest = self.github.checkout(self.root / f"run-{self.runs}", sha)
        git = ["git", "-c", "user.name=runner", "-c", "user.email=runner@example.org", "-C", str(dest)]
        for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", f"checkout of {sha}"]):
            subprocess.run([*git, *args], check=True, capture_output=True)
        return dest, sha

    def run(
        self,
        workflow: str,
        event: str,
        *,
        inputs: dict[str, Any] | None = None,
        client_payload: dict[str, Any] | None = None,
    ) -> WorkflowRun:
        """One run of `workflow` triggered by `event` (schedule, push, workflow_dispatch, repository_dispatch)."""
        spec = yaml.safe_load((WORKFLOWS / f"{workflow}.yml").read_text(encoding="utf-8"))
        checkout, sha = self.fresh_clone()
        summary, outputs = checkout.parent / f"summary-{self.runs}.md", checkout.parent / f"output-{self.runs}"
        summary.write_text("")
        context: dict[str, Any] = {
            "secrets": self.secrets,
            "vars": self.vars,
            "inputs": {k: v for k, v in (inputs or {}).items()},
            "github": {"event_name": event, "sha": sha, "event": {"client_payload": client_payload or {}}},
            "steps": {},
        }
        base_env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", str(self.root)),
            "PYTHONPATH": str(REPO_ROOT),  # the pipeline package: the fake repository holds only data/
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_SHA": sha,
            "GITHUB_REPOSITORY": self.github.repo_name,
            "GITHUB_API_URL": self.github.base_url,
            "GITHUB_WORKSPACE": str(checkout),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            **self.runner_env,
        }
        steps: list[StepOutcome] = []
        for job in spec["jobs"].values():
            for step in job["steps"]:
                name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
                if steps and steps[-1].status != 0:
                    steps.append(StepOutcome(name, "skipped: an earlier step failed"))
                elif "if" in step and not truthy(evaluate(str(step["if"]), context)):
                    steps.append(StepOutcome(name, f"skipped: if {step['if']}"))
                elif "uses" in step:
                    steps.append(StepOutcome(name, "stands for itself"))
                elif _INSTALL.match(step["run"]):
                    steps.append(StepOutcome(name, "skipped: the requirements are this interpreter's"))
                else:
                    env = {k: str(interpolate(str(v), context)) for k, v in (step.get("env") or {}).items()}
                    done = subprocess.run(
                        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                        env={**base_env, **env},
                        cwd=checkout,
                        capture_output=True,
                        text=True,
                        timeout=300,
                    )
                    steps.append(StepOutcome(name, "ran", done.returncode, done.stdout + done.stderr))
        return WorkflowRun(workflow, event, checkout, sha, tuple(steps), summary.read_text())


def interpolate(text: str, context: dict[str, Any]) -> Any:
    """`text` with each `${{ … }}` replaced by its value (a lone expression keeps its type)."""
    whole = _EXPRESSION.fullmatch(text.strip())
    if whole:
        return _as_text(evaluate(whole.group(1), context))
    return _EXPRESSION.sub(lambda m: _as_text(evaluate(m.group(1), context)), text)


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The subset of Actions expressions the workflows use: `a || b`, `a == b`, `a != b`, paths and literals."""
    expression = _EXPRESSION.sub(lambda m: m.group(1), expression).strip()
    alternatives = [part.strip() for part in expression.split("||")]
    value: Any = ""
    for part in alternatives:
        value = _comparison(part, context)
        if truthy(value):
            return value
    return value


def _comparison(part: str, context: dict[str, Any]) -> Any:
    for operator in ("!=", "=="):
        if operator in part:
            left, right = (_operand(side.strip(), context) for side in part.split(operator, 1))
            equal = _loose(left) == _loose(right)
            return equal if operator == "==" else not equal
    return _operand(part, context)


def _operand(token: str, context: dict[str, Any]) -> Any:
    if token in ("true", "false"):
        return token == "true"
    if len(token) >= 2 and token[0] == token[-1] == "'":
        return token[1:-1]
    value: Any = context
    for key in token.split("."):
        value = value.get(key, "") if isinstance(value, dict) else ""
    return value


def _loose(value: Any) -> str:
    """Actions compares a string with a boolean by coercion: '' and false are alike, 'true' and true too."""
    if isinstance(value, bool):
        return "true" if value else ""
    return str(value).lower() if str(value).lower() in ("true", "false") else str(value)


def truthy(value: Any) -> bool:
    return value not in ("", None, False, 0, "false")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
