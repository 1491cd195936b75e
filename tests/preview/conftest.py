"""Preview fixtures: sample documents and hostile content."""

from __future__ import annotations

import json
from typing import Any

from tests.paths import SAMPLE_MODULES

# Each tries a different way out of the text it sits in: element, attribute, stylesheet, URL.
HOSTILE_TEXT = (
    '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><a href="javascript:alert(3)">j</a>'
    "</style><style>body{display:none}</style><meta http-equiv=refresh content=0;url=javascript:alert(4)>"
)
HOSTILE_MARKDOWN = "\n\n".join(
    [
        "# Heading <script>alert(1)</script>",
        "[plain](javascript:alert(1)) [upper](JaVaScRiPt:alert(1)) [entity](&#106;avascript:alert(1))",
        "[tab](java\tscript:alert(1)) [space]( javascript:alert(1)) <javascript:alert(1)> [vb](vbscript:msgbox(1))",
        "![img](javascript:alert(1)) ![data](data:text/html;base64,PHNjcmlwdD4=) "
        "![svg](data:image/svg+xml,<svg onload=x>)",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '[quotes](https://example.org/"onmouseover="alert(1) "t\\" onclick=\\"alert(1)")',
        "[ref][r]\n\n[r]: javascript:alert(1)",
        "</style><iframe src=javascript:alert(1)></iframe>",
        "```html\n<script>alert('in a code block is fine as text')</script>\n```",
    ]
)


def load_sample(module_id: str) -> dict[str, Any]:
    """One of the sample modules in data/modules, as a dict."""
    return json.loads((SAMPLE_MODULES / f"{module_id}.json").read_text(encoding="utf-8"))


def hostile_module() -> dict[str, Any]:
    """equipment-tour with hostile text in every plain-text field and hostile Markdown in every Markdown one."""
    doc = load_sample("equipment-tour")
    for key in (
        "title",
        "description",
        "category",
        "cohort",
        "created_by_id",
        "owner_id",
        "university_id",
        "target_audience",
        "status",
        "content_source",
        "authoring_method",
    ):
        doc[key] = HOSTILE_TEXT
    doc["module_id"] = HOSTILE_TEXT
    doc["tags"] = [HOSTILE_TEXT]
    doc["prerequisites"] = [HOSTILE_TEXT]
    doc["learning_objectives"] = [HOSTILE_TEXT]
    doc["metadata"]["exported_at"] = HOSTILE_TEXT
    for section in doc["sections"]:
        section["title"] = HOSTILE_TEXT
        section["section_id"] = HOSTILE_TEXT + section["section_id"]
        if isinstance(section["content"], str):
            section["content"] = HOSTILE_MARKDOWN
    image, _text, video, interactive, quiz = doc["sections"]
    video["media_url"] = "javascript:alert(1)"
    image["media_url"] = 'https://example.org/x.png" onerror="alert(1)'
    interactive["content"]["instruction"] = HOSTILE_TEXT
    for spot in interactive["content"]["hotspots"]:
        spot.update(id=HOSTILE_TEXT, label=HOSTILE_TEXT, description=HOSTILE_TEXT)
    quiz["content"]["instruction"] = HOSTILE_TEXT
    for question in quiz["content"]["questions"]:
        question.update(question_id=HOSTILE_TEXT, prompt=HOSTILE_TEXT, explanation=HOSTILE_TEXT)
        question["choices"] = [HOSTILE_TEXT, HOSTILE_TEXT + "2"]
    doc["sections"].append(
        {
            "section_id": "odd",
            "section_number": 6,
            "section_type": HOSTILE_TEXT,
            "title": HOSTILE_TEXT,
            "content": {"x": HOSTILE_TEXT},
            "media_url": None,
        }
    )
    return doc
