"""The PR body stays within GitHub's size limit and keeps its marker, whatever the size of the change."""

from __future__ import annotations

import json

from pipeline.module.document import load_module
from pipeline.propose.pr_body import MAX_BODY_CHARS, render_pr_body
from tests.paths import SAMPLE_MODULES


def test_huge_change_is_shortened_to_fit_a_pr_body_and_keeps_its_marker():
    # given: every section's text rewritten at length, and hundreds of problems
    old = load_module(SAMPLE_MODULES / "lab-safety-101.json").data
    new = json.loads(json.dumps(old))
    for section in new["sections"]:
        if isinstance(section["content"], str):
            section["content"] = "\n".join(f"line {i} of a long rewrite" for i in range(3000))
    problems = [f"data/modules/lab-safety-101.json:{i}: /sections/0: problem {i}" for i in range(500)]

    # when
    body = render_pr_body(old, new, problems, notion_url=None)

    # then
    assert len(body) <= MAX_BODY_CHARS
    assert "(diff shortened; see the Files tab)" in body
    assert "… and 450 more" in body
    assert body.rstrip().endswith("<!-- frames-module: lab-safety-101 -->")
