"""The Notion page the demo experiment (examples/experiments/modules/ppe-basics.json) is exported from: a
section with a "Variant: Video (50%)" toggle, and the Experiment columns."""

from __future__ import annotations

from tests.fakes import notion_blocks as b
from tests.fakes.notion_server import NotionFake

DEMO_PAGE_ID = "3c9e7d2f5b8e4d2c8f4b6e1a3b7c8d92"
QUIZ = """pass_percent: 100
questions:
  - question_id: goggles
    prompt: When do you wear goggles?
    choices: [Only when heating, Whenever liquids or powders are open]
    answer: Whenever liquids or powders are open
  - question_id: gloves
    prompt: Your glove tears. What now?
    choices: [Carry on, Change it]
    answer: Change it
"""


def add_demo_page(fake: NotionFake, data_source_id: str, *, status: str = "Running", **changes: object) -> str:
    """The PPE Basics page, Ready, with its experiment `status` (Draft, Running, Stopped)."""
    properties = {
        "Module Name": "PPE Basics",
        "Module ID": "ppe-basics",
        "Status": "Ready",
        "Description": "Which protective equipment to wear in the lab, and why. Its second section is an "
        "experiment: half the learners read it, half watch it.",
        "Category": "Safety",
        "Estimated Minutes": 8,
        "Tags": ["safety", "onboarding"],
        "University": "CPP",
        "Target Audience": "Incoming Students",
        "Team Lead": "John Doe",
        "Experiment": "ppe-video-vs-text",
        "Experiment Status": status,
        **changes,
    }
    blocks = [
        b.heading(2, "Learning Objectives"),
        b.bulleted("Choose the right personal protective equipment (PPE) for a task"),
        b.heading(2, "Why PPE matters"),
        b.paragraph("ID: why-ppe"),
        b.paragraph(
            "Protective equipment is the last barrier between you and a hazard. Wear it before you start, "
            "not after something goes wrong."
        ),
        b.heading(2, "Choosing your PPE"),
        b.paragraph("ID: choosing-ppe"),
        b.bulleted("Goggles whenever liquids or powders are open."),
        b.bulleted("Nitrile gloves for chemicals; change them when torn."),
        b.bulleted("A lab coat, buttoned, sleeves down."),
        b.toggle(
            "Variant: Video (50%)",
            [
                b.paragraph("Type: video"),
                b.video_external("https://media.frames-lms.org/videos/choosing-ppe.mp4"),
                b.paragraph("Watch a technician choose goggles, gloves and a coat for three tasks."),
            ],
        ),
        b.heading(2, "Check yourself"),
        b.paragraph("Type: quiz\nID: ppe-check"),
        b.code(QUIZ, "yaml"),
    ]
    return fake.add_page(data_source_id, properties, blocks, page_id=DEMO_PAGE_ID)
