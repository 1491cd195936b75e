"""Experiments as team leads write them in Notion: a toggle "Variant: Video (50%)" inside a section holds that
arm's version of the section, and the Experiment / Experiment Status columns name and switch the experiment.

The section's own content (outside the toggles) is the control arm, "Original". Weights in brackets are
percentages; the control gets what the variants leave of 100 (no weights at all: an equal split). The metric is
passing the first quiz after the tested sections, or, without one, completing the first tested section.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.notion.issues import ConversionIssue
from pipeline.notion.properties import experiment_columns, slug
from pipeline.notion.rich_text import rich_text_to_plain

CONTROL_ID = "control"
CONTROL_NAME = "Original"
_VARIANT = re.compile(r"^\s*variant\s*:\s*(?P<name>.*?)\s*(?:\(\s*(?P<weight>\d{1,3})\s*%\s*\))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class VariantToggle:
    """One "Variant: …" toggle: the arm's name, its weight if given, the toggle and what it holds."""

    name: str
    weight: int | None
    block: dict[str, Any]
    children: list[dict[str, Any]]


@dataclass(frozen=True)
class SectionVariant:
    """An arm's version of one section, converted like a section."""

    section_id: str
    section_title: str
    toggle: VariantToggle
    section: dict[str, Any]


def take_variants(blocks: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[VariantToggle]]:
    """A section's blocks without its "Variant:" toggles, and the toggles."""
    kept, variants = [], []
    for block in blocks:
        if block.get("type") == "toggle":
            words = rich_text_to_plain((block.get("toggle") or {}).get("rich_text") or [])
            match = _VARIANT.match(words)
            if match:
                weight = int(match["weight"]) if match["weight"] else None
                variants.append(VariantToggle(match["name"], weight, block, list(block.get("children") or [])))
                continue
        kept.append(block)
    return kept, variants


def _issue(page_id: str, where: str, message: str, block: dict[str, Any] | None = None) -> ConversionIssue:
    return ConversionIssue(page_id, block.get("id") if block else None, where, message, "error", pointer="/experiments")


def page_experiment(
    page: Mapping[str, Any], sections: Sequence[Mapping[str, Any]], variants: Sequence[SectionVariant]
) -> tuple[dict[str, Any] | None, list[ConversionIssue]]:
    """The page's experiment (None without variants or an Experiment id) and what the team lead must fix."""
    page_id = str(page.get("id", ""))
    experiment_id, status, issues = experiment_columns(page)
    if issues:
        return None, issues
    if not variants:
        if experiment_id:
            message = "names an experiment, but no section has a 'Variant: …' toggle; add one or clear the column"
            return None, [_issue(page_id, "Experiment", message)]
        return None, []
    if not experiment_id:
        first = variants[0]
        message = (
            f"has a 'Variant: {first.toggle.name}' toggle but the Experiment column is empty; give the experiment "
            "an id there (e.g. video-vs-text), or remove the toggle"
        )
        return None, [_issue(page_id, f"section {first.section_title!r}", message, first.toggle.block)]
    names: list[str] = []
    weights: dict[str, int | None] = {}
    problems: list[ConversionIssue] = []
    for variant in variants:
        name = variant.toggle.name
        if not name or slug(name) in ("", CONTROL_ID):
            message = f"the toggle 'Variant: {name}' needs a name of its own, e.g. 'Variant: Video (50%)'"
            problems.append(_issue(page_id, f"section {variant.section_title!r}", message, variant.toggle.block))
            continue
        if name not in names:
            names.append(name)
            weights[name] = variant.toggle.weight
        elif variant.toggle.weight not in (None, weights[name]):
            message = f"'Variant: {name}' has another weight in another section; give it the same everywhere"
            problems.append(_issue(page_id, f"section {variant.section_title!r}", message, variant.toggle.block))
    tested = list(dict.fromkeys(v.section_id for v in variants))
    for section_id in tested:
        have = {v.toggle.name for v in variants if v.section_id == section_id}
        for name in names:
            if name not in have:
                title = next(v.section_title for v in variants if v.section_id == section_id)
                message = f"has no 'Variant: {name}' toggle; every tested section needs one per variant"
                problems.append(_issue(page_id, f"section {title!r}", message))
    if problems:
        return None, problems
    given = [weights[name] for name in names]
    if all(w is None for w in given):
        share = 100 // (len(names) + 1)
        arm_weights = [100 - share * len(names)] + [share] * len(names)
    elif any(w is None for w in given):
        message = "give every 'Variant:' toggle a weight such as (30%), or none for an equal split"
        return None, [_issue(page_id, "Experiment", message)]
    elif sum(w or 0 for w in given) > 100:
        total = " + ".join(f"{w}%" for w in given)
        message = (
            f"the 'Variant:' toggles' weights add up to {total}, more than 100%; the Original gets what they leave"
        )
        return None, [_issue(page_id, "Experiment", message)]
    else:
        arm_weights = [100 - sum(w or 0 for w in given), *(w or 0 for w in given)]
    arms = [{"arm_id": CONTROL_ID, "name": CONTROL_NAME, "weight": arm_weights[0], "sections": []}]
    for name, weight in zip(names, arm_weights[1:], strict=True):
        arms.append(
            {
                "arm_id": slug(name),
                "name": name,
                "weight": weight,
                "sections": [
                    v.section
                    for section_id in tested
                    for v in variants
                    if v.section_id == section_id and v.toggle.name == name
                ],
            }
        )
    experiment = {
        "experiment_id": experiment_id,
        "seed": experiment_id,
        "status": status or "draft",
        "section_ids": tested,
        "metric": _metric(sections, tested),
        "arms": arms,
    }
    return experiment, []


def _metric(sections: Sequence[Mapping[str, Any]], tested: Sequence[str]) -> dict[str, str]:
    order = [s["section_id"] for s in sections]
    last = max(order.index(section_id) for section_id in tested)
    quiz = next((s for s in sections[last + 1 :] if s["section_type"] == "quiz"), None)
    if quiz is not None:
        return {"kind": "quiz_pass", "section_id": quiz["section_id"]}
    return {"kind": "section_completion", "section_id": tested[0]}
