"""Review fixtures: a Git repository whose working tree holds a PR's edits of the samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.module.canonical import dump_module
from pipeline.settings import Settings
from tests.git_repo import git
from tests.review.learners import seed_learners


@pytest.fixture
def pr_tree(module_tree: Path) -> Path:
    """The samples committed on main; then lab-safety-101 loses "PPE Requirements", gains a section with an
    image, gets a reworded quiz question and a moved hotspot; first-pull-request is deleted. Returns data/modules."""
    repo = module_tree.parent.parent
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "samples")
    path = module_tree / "lab-safety-101.json"
    doc = json.loads(path.read_text())
    sections = {s["section_id"]: s for s in doc["sections"]}
    doc["sections"].remove(sections["ppe-requirements"])
    sections["safety-check"]["content"]["questions"][0]["prompt"] = "Chemicals in your eye: what comes first?"
    sections["locate-equipment"]["content"]["hotspots"][0]["x"] = 120
    doc["sections"].insert(
        1,
        {
            "section_id": "gloves",
            "section_number": 2,
            "section_type": "text",
            "title": "Choosing Gloves",
            "content": (
                "# Gloves\n\nNitrile for most chemicals.\n\n![The floor plan](/assets/lab-safety-101/floor-plan.png)"
            ),
            "media_url": None,
            "duration_seconds": 60,
        },
    )
    for number, section in enumerate(doc["sections"], 1):
        section["section_number"] = number
    doc["metadata"]["revision"] = 2
    path.write_text(dump_module(doc))
    (module_tree / "first-pull-request.json").unlink()
    return module_tree


@pytest.fixture
def learners(settings: Settings, migrated_engine: Engine) -> Engine:
    """The samples live, with learners on lab-safety-101 and first-pull-request (tests/review/learners.py)."""
    return seed_learners(settings, migrated_engine)
