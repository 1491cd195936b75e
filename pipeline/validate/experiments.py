"""The rules for a module's experiments beyond the schema: weights, sections, one running experiment per
section, and that a running experiment never changes (against the live database or the PR's base branch).

Messages use the words a team lead sees in Notion (the experiment's id, the arm's name, the section heading), so
the exporter can put them on the page as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.module.document import ModuleDocument
from pipeline.module.experiments import CONTROL_INDEX, STUDENT_VIEW_TYPES, definition_of, experiments_of
from pipeline.module.json_locator import pointer_of
from pipeline.module.problems import Problem
from pipeline.validate.sections import MarkdownCheck, section_problems

STOP_OR_RENAME = "set its status to stopped, or start a new experiment with a new id"


def experiment_problems(doc: ModuleDocument, assets_dir: Path, markdown: MarkdownCheck) -> list[Problem]:
    """Problems of one schema-valid document's experiments."""
    data = doc.data
    sections = {s["section_id"]: s for s in data["sections"]}
    problems: list[Problem] = []
    seen: set[str] = set()
    running_on: dict[str, str] = {}
    for index, experiment in enumerate(experiments_of(data)):
        base = pointer_of("experiments", index)
        name = f"experiment {experiment.experiment_id!r}"
        if experiment.experiment_id in seen:
            problems.append(doc.problem(base + "/experiment_id", f"{name} is declared twice; give each its own id"))
        seen.add(experiment.experiment_id)
        total = sum(arm.weight for arm in experiment.arms)
        if total != 100:
            weights = " + ".join(str(arm.weight) for arm in experiment.arms)
            problems.append(
                doc.problem(base + "/arms", f"{name}: the arms' weights add up to {weights} = {total}, not 100")
            )
        for position, section_id in enumerate(experiment.section_ids):
            if section_id not in sections:
                problems.append(
                    doc.problem(
                        pointer_of("experiments", index, "section_ids", position),
                        f"{name} tests section {section_id!r}, which this module does not have",
                    )
                )
            elif experiment.running:
                other = running_on.setdefault(section_id, experiment.experiment_id)
                if other != experiment.experiment_id:
                    title = sections[section_id]["title"]
                    problems.append(
                        doc.problem(
                            pointer_of("experiments", index, "status"),
                            f"{name} and experiment {other!r} both run on section {title!r}; "
                            "a section takes part in one running experiment at a time: stop one of them",
                        )
                    )
        problems.extend(_metric_problems(doc, index, name, experiment.metric_kind, experiment.metric_section_id))
        arm_ids: set[str] = set()
        for arm_index, arm in enumerate(experiment.arms):
            arm_base = pointer_of("experiments", index, "arms", arm_index)
            arm_name = f"{name}, arm {arm.name!r}"
            if arm.arm_id in arm_ids:
                problems.append(doc.problem(arm_base + "/arm_id", f"{arm_name}: another arm has the same id"))
            arm_ids.add(arm.arm_id)
            if arm_index == CONTROL_INDEX:
                if arm.sections:
                    problems.append(
                        doc.problem(
                            arm_base + "/sections",
                            f"{arm_name} is the control: it shows the sections as written, so it holds no content",
                        )
                    )
                continue
            given = [s["section_id"] for s in arm.sections]
            if sorted(given) != sorted(experiment.section_ids):
                missing = sorted(set(experiment.section_ids) - set(given))
                extra = sorted(set(given) - set(experiment.section_ids))
                said = (
                    "; ".join(
                        part
                        for part in (
                            f"it lacks {', '.join(map(repr, missing))}" if missing else "",
                            f"it also changes {', '.join(map(repr, extra))}" if extra else "",
                        )
                        if part
                    )
                    or "a section is given twice"
                )
                problems.append(
                    doc.problem(
                        arm_base + "/sections",
                        f"{arm_name} must give its own version of each tested section, once: {said}",
                    )
                )
            for section_index, section in enumerate(arm.sections):
                pointer = pointer_of("experiments", index, "arms", arm_index, "sections", section_index)
                problems.extend(_arm_section_problems(doc, pointer, arm_name, section, sections))
                problems.extend(section_problems(doc, pointer, dict(section), assets_dir, markdown))
    return problems


def _metric_problems(doc: ModuleDocument, index: int, name: str, kind: str, section_id: str) -> list[Problem]:
    section = next((s for s in doc.data["sections"] if s["section_id"] == section_id), None)
    pointer = pointer_of("experiments", index, "metric", "section_id")
    if section is None:
        return [doc.problem(pointer, f"{name} measures section {section_id!r}, which this module does not have")]
    if kind == "quiz_pass" and section["section_type"] != "quiz":
        return [
            doc.problem(
                pointer,
                f"{name} measures passing the quiz of section {section['title']!r}, which is not a quiz; "
                "measure its completion instead, or name a quiz section",
            )
        ]
    return []


def _arm_section_problems(
    doc: ModuleDocument, pointer: str, arm_name: str, section: Mapping[str, Any], sections: Mapping[str, Any]
) -> list[Problem]:
    problems = []
    if section["section_type"] not in STUDENT_VIEW_TYPES:
        problems.append(
            doc.problem(
                pointer + "/section_type",
                f"{arm_name}: type {section['section_type']!r} is not one the student view can show "
                f"({', '.join(STUDENT_VIEW_TYPES)})",
            )
        )
    original = sections.get(section["section_id"])
    if original is not None and original["section_number"] != section["section_number"]:
        problems.append(
            doc.problem(
                pointer + "/section_number",
                f"{arm_name}: its version of {original['title']!r} must keep the section's place "
                f"({original['section_number']}), not {section['section_number']}",
            )
        )
    return problems


def immutability_problems(doc: ModuleDocument, previous: Mapping[str, Any] | None, against: str) -> list[Problem]:
    """A running experiment in `previous` (the live or base version, named by `against`) that this one changes."""
    if not previous or not isinstance(previous.get("experiments"), list):
        return []
    before = {e.get("experiment_id"): e for e in previous["experiments"] if isinstance(e, Mapping)}
    problems = []
    for index, raw in enumerate(doc.data.get("experiments") or ()):
        old = before.get(raw["experiment_id"])
        if old is None:
            continue
        name = f"experiment {raw['experiment_id']!r}"
        if old.get("status") == "running" and definition_of(raw) != definition_of(old):
            problems.append(
                doc.problem(
                    pointer_of("experiments", index),
                    f"{name} is running ({against}): its arms, weights and content cannot change while learners "
                    f"are in it; {STOP_OR_RENAME}",
                )
            )
        elif old.get("status") == "stopped" and raw["status"] != "stopped":
            problems.append(
                doc.problem(
                    pointer_of("experiments", index, "status"),
                    f"{name} was stopped ({against}) and cannot run again: its learners' data would mix two "
                    "periods; start a new experiment with a new id",
                )
            )
    return problems
