"""docs/notion-template.md lists every limit the module schema enforces on what a team lead writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.paths import REPO_ROOT

SCHEMA = json.loads((REPO_ROOT / "data" / "schemas" / "module-schema.json").read_text())
GUIDE = (REPO_ROOT / "docs" / "notion-template.md").read_text()
BOUNDS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems")

# the row of the guide's limits table -> the schema nodes (top-level property, or $defs/<def>/<property>) it covers
ROWS: dict[str, tuple[str, ...]] = {
    "Module Name": ("title",),
    "Module ID": ("module_id",),
    "Description": ("description",),
    "Category": ("category",),
    "Estimated Minutes": ("estimated_minutes",),
    "Team Lead": ("created_by_id",),
    "Owner": ("owner_id",),
    "University": ("university_id",),
    "Cohort": ("cohort",),
    "Target Audience": ("target_audience",),
    "Tags": ("tags", "tags[]"),
    "Prerequisites": ("prerequisites", "prerequisites[]"),
    "Learning Objectives": ("learning_objectives", "learning_objectives[]"),
    "Sections": ("sections",),
    "Section heading": ("section/title",),
    "Section text": ("markdown",),
    "`ID:` line": ("section/section_id",),
    "`Duration:` line": ("section/duration_seconds",),
    "Picture or video address": ("media_url",),
    "Interactive `instruction`": ("interactive_content/instruction",),
    "Interactive `hotspots`": ("interactive_content/hotspots",),
    "Hotspot `id`": ("hotspot/id",),
    "Hotspot `label`": ("hotspot/label",),
    "Hotspot `description`": ("hotspot/description",),
    "Hotspot `x`, `y`": ("hotspot/x", "hotspot/y"),
    "`completion_criteria`": ("completion_criteria/hotspots_clicked", "completion_criteria/required_hotspots"),
    "Quiz `instruction`": ("quiz_content/instruction",),
    "Quiz `pass_percent`": ("quiz_content/pass_percent",),
    "Quiz `questions`": ("quiz_content/questions",),
    "Question `question_id`": ("question/question_id",),
    "Question `prompt`": ("question/prompt",),
    "Question `choices`": ("question/choices", "question/choices[]"),
    "Question `explanation`": ("question/explanation",),
    "Experiment": ("experiment/experiment_id",),
    "`Variant:` toggles": ("experiment/arms", "experiment_arm/name", "experiment_arm/weight"),
}


def node(name: str) -> dict[str, Any]:
    item = name.endswith("[]")
    name = name.removesuffix("[]")
    if "/" in name:
        definition, prop = name.split("/")
        found = SCHEMA["$defs"][definition]["properties"][prop]
    else:
        found = SCHEMA["properties"].get(name) or SCHEMA["$defs"][name]
    found = SCHEMA["$defs"][found["$ref"].split("/")[-1]] if "$ref" in found else found
    return found["items"] if item else found


def row(label: str) -> str:
    section = GUIDE.split("## 5. Limits", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith(f"| {label} |")]
    assert lines, f"the limits table has no row for {label}"
    return lines[0]


@pytest.mark.parametrize("label", ROWS)
def test_each_bound_of_the_schema_is_in_the_guide_s_limits_table(label: str) -> None:
    text = row(label)
    for name in ROWS[label]:
        for bound in BOUNDS:
            value = node(name).get(bound)
            if value is not None and not (bound == "minimum" and value == 0 and "from 0" in text):
                assert f"{value}" in text, f"{label}: {bound} {value} of {name} is not in: {text}"


def test_every_team_lead_facing_bound_is_covered_by_a_row() -> None:
    covered = {name.removesuffix("[]") for names in ROWS.values() for name in names}
    bookkeeping = {"notion_page_id", "content_source", "authoring_method", "status", "metadata", "section"}
    bookkeeping |= {"section/section_number", "question/correct_choice"}  # set by the exporter / by `answer`
    # an experiment's seed, section list, arm ids and arm sections are derived from the page by the exporter
    bookkeeping |= {"experiments", "experiment/seed", "experiment/section_ids", "experiment_arm/arm_id"}
    bookkeeping |= {"experiment_arm/sections"}
    bounded = {
        name
        for name, prop in SCHEMA["properties"].items()
        if any(b in prop or b in prop.get("items", {}) for b in BOUNDS)
    }
    for definition, schema in SCHEMA["$defs"].items():
        for prop, spec in (schema.get("properties") or {}).items():
            if any(b in spec or b in spec.get("items", {}) for b in BOUNDS) and definition != "metadata":
                bounded.add(f"{definition}/{prop}")
        if any(b in schema for b in BOUNDS):
            bounded.add(definition)
    assert bounded - covered - bookkeeping == set()
