"""The experiments a module file declares (its `experiments` list): typed, and applied to its sections.

Pure: the runtime serves an arm with `sections_for_arms`, validate compares declarations with `definition_of`,
and conclude makes one arm's content the section's with `conclude_experiment`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.module.schema import SECTION_TYPES

EXPERIMENT_STATUSES = ("draft", "running", "stopped")
METRIC_KINDS = ("section_completion", "quiz_pass")
# The section types the student view (GET /api/v1/modules/{id}) can show; an arm may only use these.
STUDENT_VIEW_TYPES = SECTION_TYPES
CONTROL_INDEX = 0  # the first arm is the control: it shows the sections as written


@dataclass(frozen=True)
class Arm:
    """One arm: its id, the team lead's name for it, its weight in percent, and its version of the sections."""

    arm_id: str
    name: str
    weight: int
    sections: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Experiment:
    """One declared experiment."""

    experiment_id: str
    seed: str
    status: str
    section_ids: tuple[str, ...]
    metric_kind: str
    metric_section_id: str
    arms: tuple[Arm, ...]

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def weights(self) -> list[float]:
        """GrowthBook's weights: fractions of 1."""
        return [arm.weight / 100 for arm in self.arms]

    @property
    def control(self) -> Arm:
        return self.arms[CONTROL_INDEX]

    def arm(self, arm_id: str) -> Arm | None:
        return next((arm for arm in self.arms if arm.arm_id == arm_id), None)

    @property
    def stamped_sections(self) -> tuple[str, ...]:
        """The sections whose events and attempts carry this experiment's arm: its own and its metric's."""
        extra = () if self.metric_section_id in self.section_ids else (self.metric_section_id,)
        return self.section_ids + extra


def experiment_from(raw: Mapping[str, Any]) -> Experiment:
    """One schema-valid `experiments` item as an Experiment."""
    return Experiment(
        raw["experiment_id"],
        raw["seed"],
        raw["status"],
        tuple(raw["section_ids"]),
        raw["metric"]["kind"],
        raw["metric"]["section_id"],
        tuple(
            Arm(arm["arm_id"], arm.get("name") or arm["arm_id"], arm["weight"], tuple(arm["sections"]))
            for arm in raw["arms"]
        ),
    )


def experiments_of(data: Mapping[str, Any]) -> tuple[Experiment, ...]:
    """The experiments a schema-valid module declares (none when it has no `experiments`)."""
    return tuple(experiment_from(raw) for raw in data.get("experiments") or ())


def definition_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    """What a running experiment must keep: everything but its status."""
    return {key: value for key, value in raw.items() if key != "status"}


def sections_for_arms(sections: Sequence[Mapping[str, Any]], arms: Sequence[Arm]) -> list[Mapping[str, Any]]:
    """The module's sections with each given arm's versions in place (same section_id, same position)."""
    replacement = {section["section_id"]: section for arm in arms for section in arm.sections}
    return [replacement.get(section["section_id"], section) for section in sections]


def conclude_experiment(data: Mapping[str, Any], experiment_id: str, arm_id: str) -> dict[str, Any]:
    """A copy of the module where `arm_id`'s content is the sections' own and the experiment is gone."""
    result = copy.deepcopy(dict(data))
    raw = next(e for e in result.get("experiments") or () if e["experiment_id"] == experiment_id)
    kept = experiment_from(raw).arm(arm_id)
    if kept is None:
        raise KeyError(arm_id)
    result["sections"] = [copy.deepcopy(dict(s)) for s in sections_for_arms(result["sections"], [kept])]
    remaining = [e for e in result["experiments"] if e["experiment_id"] != experiment_id]
    if remaining:
        result["experiments"] = remaining
    else:
        del result["experiments"]
    return result


@dataclass(frozen=True)
class ExperimentChange:
    """What a change of a module file does to one of its experiments, for a reviewer."""

    experiment_id: str
    kind: str  # declared | started | stopped | changed | concluded
    refused: bool = False  # a running experiment changed: validate refuses it
    experiment: Experiment | None = None  # the head's declaration (None when concluded)


def experiment_changes(base: Mapping[str, Any] | None, head: Mapping[str, Any] | None) -> list[ExperimentChange]:
    """The experiments a change declares, starts, stops, changes or concludes (schema-valid documents)."""

    def declared(document: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
        raw = (document or {}).get("experiments")
        return {e["experiment_id"]: e for e in raw if isinstance(e, Mapping)} if isinstance(raw, list) else {}

    before, after = declared(base), declared(head)
    changes = []
    for experiment_id, raw in after.items():
        old = before.get(experiment_id)
        experiment = experiment_from(raw)
        if old is None:
            changes.append(
                ExperimentChange(experiment_id, "started" if experiment.running else "declared", False, experiment)
            )
        elif definition_of(old) != definition_of(raw):
            changes.append(ExperimentChange(experiment_id, "changed", old.get("status") == "running", experiment))
        elif old.get("status") != raw["status"]:
            kind = {"running": "started", "stopped": "stopped"}.get(raw["status"], "declared")
            changes.append(ExperimentChange(experiment_id, kind, old.get("status") == "stopped", experiment))
    changes += [ExperimentChange(e, "concluded") for e in before if e not in after]
    return changes
