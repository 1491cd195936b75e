"""The sticky comment shown in docs/review.md, made by the real renderer: `python -m tests.review.docs_example`
rewrites that part of the page; tests/review/test_docs_example.py fails when the page and the renderer differ."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from pipeline.review.comment import ReviewedModule, render_review_comment
from pipeline.review.impact import ImpactReport, ModuleImpact, SectionImpact
from tests.paths import REPO_ROOT, SAMPLE_MODULES

PAGE = REPO_ROOT / "docs" / "review.md"
START, END = "<!-- example comment: start -->", "<!-- example comment: end -->"
# The learners a production database might hold for this change (the impact job's JSON, as the comment reads it).
IMPACT = ImpactReport(
    (
        ModuleImpact(
            "lab-safety-101",
            "updated",
            (SectionImpact("ppe-requirements", 37, 412),),
            (SectionImpact("safety-check", 0, 98),),
        ),
    )
)


def sample_change() -> tuple[dict[str, Any], dict[str, Any]]:
    """lab-safety-101 before and after a team lead's edit: PPE section removed, a quiz question reworded,
    a hotspot moved and a new section on gloves with the floor plan."""
    base = json.loads((SAMPLE_MODULES / "lab-safety-101.json").read_text(encoding="utf-8"))
    head = copy.deepcopy(base)
    sections = {s["section_id"]: s for s in head["sections"]}
    head["sections"].remove(sections["ppe-requirements"])
    sections["safety-check"]["content"]["questions"][0]["prompt"] = "Chemicals in your eye: what comes first?"
    sections["locate-equipment"]["content"]["hotspots"][0].update(x=120, label="Fire Extinguisher (by the door)")
    gloves = {
        "section_id": "gloves",
        "section_number": 2,
        "section_type": "text",
        "title": "Choosing Gloves",
        "content": "## Which gloves?\n\n- **Nitrile** for most chemicals.\n- **Neoprene** for acids and solvents.\n\n"
        "Ask @lab-manager if unsure (see #12).",
        "media_url": None,
        "duration_seconds": 60,
    }
    head["sections"].insert(1, gloves)
    for number, section in enumerate(head["sections"], 1):
        section["section_number"] = number
    head["metadata"]["revision"] = base["metadata"]["revision"] + 1
    return base, head


def example_comment() -> str:
    """The comment for the sample change, its images pointing at the repository's own files (they show here)."""
    base, head = sample_change()
    assets = os.path.relpath(SAMPLE_MODULES.parent / "assets", PAGE.parent).replace(os.sep, "/")
    return render_review_comment(
        [ReviewedModule("lab-safety-101", base, head)],
        IMPACT,
        asset_url=lambda url: assets + url[len("/assets") :],
        preview_url="https://github.com/OWNER/REPO/actions/runs/1/artifacts/2",
    )


def page_with_example(page: str) -> str:
    """docs/review.md with the example between its markers replaced by the renderer's output."""
    before, _, rest = page.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n\n{example_comment()}\n{END}{after}"


if __name__ == "__main__":
    PAGE.write_text(page_with_example(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"rewrote the example comment in {PAGE}")
