"""Notion text can never ping people or link issues on GitHub: not in the comment, the PR body or its title."""

from __future__ import annotations

import re

import pytest

from pipeline.propose.pr_body import pr_title, render_pr_body
from pipeline.review.neutralise import ZERO_WIDTH_SPACE as ZWSP
from pipeline.review.neutralise import neutralise
from tests.module_builders import sample_module

LIVE = re.compile(r"(?<![\w/.+-])@[A-Za-z0-9]|(?<!&)#\d|\bGH-\d", re.IGNORECASE)


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("ask @octocat", f"ask @{ZWSP}octocat"),
        ("cc @frames-org/reviewers", f"cc @{ZWSP}frames-org/reviewers"),
        ("fixes #12 and owner/repo#3", f"fixes #{ZWSP}12 and owner/repo#{ZWSP}3"),
        ("see GH-42", f"see GH{ZWSP}-42"),
        ("<details><!-- x -->", "&lt;details>&lt;!-- x -->"),
        ("&#64;admin", f"&amp;#{ZWSP}64;admin"),
    ],
)
def test_mentions_references_and_html_are_made_inert(text: str, inert: str) -> None:
    assert neutralise(text) == inert


@pytest.mark.parametrize(
    "text", ["mail lead@example.org", "x < y and a > b", "Step #one", "https://x.org/@scope/pkg", "## Heading"]
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text


def test_plain_text_keeps_angle_brackets_but_not_links() -> None:
    assert neutralise("<b> @team #7", markdown=False) == f"<b> @{ZWSP}team #{ZWSP}7"


def test_pr_title_and_body_carry_no_live_mention_or_issue_link() -> None:
    old = sample_module()
    new = sample_module(title="Safety for @octocat, see #12")
    new["sections"][1]["title"] = "PPE @frames-org/leads GH-3"
    new["sections"][0]["content"] += "\n\n```\nthanks @octocat\n```\n\n<details>"

    title = pr_title(new)
    body = render_pr_body(old, new, [], notion_url=None, reason="requested by @lead in #4")

    assert not LIVE.search(title), title
    outside_code = re.sub(r"(`{3,})diff\n.*?\n\1", "", body, flags=re.DOTALL)  # inside a diff fence nothing links
    assert not LIVE.search(outside_code), LIVE.findall(outside_code)
    assert "<details>\n" not in outside_code.replace("<details><summary>", "")


def test_a_backtick_fence_in_the_content_cannot_close_the_diffs_fence() -> None:
    old = sample_module()
    new = sample_module()
    new["sections"][0]["content"] += "\n\n```\n@octocat\n```"

    body = render_pr_body(old, new, [], notion_url=None)

    assert "````diff" in body
