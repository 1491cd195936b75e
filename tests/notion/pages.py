"""Module Library pages for the Notion fake: complete, valid modules unless a test says otherwise."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from tests.fakes import notion_blocks as b
from tests.fakes.notion_server import NotionFake


def _png(width: int = 16, height: int = 16) -> bytes:
    """A real picture (export decodes what it stores, to make its variants)."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


def module_properties(module_id: str, **overrides: Any) -> dict[str, Any]:
    properties = {
        "Module Name": module_id.replace("-", " ").title(),
        "Module ID": module_id,
        "Status": "Ready",
        "Description": f"What {module_id} teaches, in one sentence.",
        "Category": "Safety",
        "Estimated Minutes": 20,
        "Tags": ["safety", "onboarding"],
        "University": "CPP",
        "Cohort": "Fall 2025",
        "Target Audience": "Incoming Students",
        "Team Lead": "Maria Lopez",
        "Owner": "Lab Manager",
    }
    properties.update(overrides)
    return properties


def module_body(topic: str, *, extra: list[dict] | None = None) -> list[dict]:
    """Learning objectives, a text section with nesting, and a second section."""
    return [
        b.heading(2, "Learning Objectives"),
        b.bulleted(f"Explain {topic}"),
        b.bulleted(f"Apply {topic} at the bench"),
        b.heading(2, "Section 1: Why it matters"),
        b.paragraph(f"Everything about {topic} starts here."),
        b.bulleted("First point", [b.bulleted("A nested detail")]),
        b.heading(2, "Section 2: In practice"),
        b.numbered("Do this"),
        b.numbered("Then that"),
        *(extra or []),
    ]


def add_module_page(
    fake: NotionFake, data_source_id: str, module_id: str, *, blocks: list[dict] | None = None, **properties: Any
) -> str:
    return fake.add_page(
        data_source_id, module_properties(module_id, **properties), module_body(module_id) if blocks is None else blocks
    )


def add_pipette_page(fake: NotionFake, data_source_id: str, module_id: str) -> str:
    """The end-to-end tests' Ready page: a pipetting module whose text holds a Notion-hosted picture."""
    picture = b.hosted_file("image", PNG, "pipette.png", "image/png")
    return add_module_page(
        fake,
        data_source_id,
        module_id,
        blocks=module_body("pipetting", extra=[b.paragraph("See the pipette:"), picture]),
    )
