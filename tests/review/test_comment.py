"""The review comment shows a PR's changed and added sections as students will see them, and the learner impact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.review.comment import COMMENT_MARKER, MAX_COMMENT_CHARS, ReviewedModule, render_review_comment
from pipeline.review.impact import ImpactReport, ModuleImpact, SectionImpact
from pipeline.review.pull_request import review_pull_request
from pipeline.settings import Settings
from tests.module_builders import sample_module, text_section

HEAD = "a" * 40
IMPACT = ImpactReport(
    (
        ModuleImpact(
            "lab-safety-101",
            "updated",
            (SectionImpact("ppe-requirements", 2, 3),),
            (SectionImpact("safety-check", 0, 4),),
        ),
        ModuleImpact("first-pull-request", "archived", in_progress=2, assignments=2),
    )
)
# Anything GitHub would turn into a ping or an issue link.
LIVE_MENTION = re.compile(r"(?<![\w/.+-])@[A-Za-z0-9]")
LIVE_ISSUE_REF = re.compile(r"(?<!&)#\d|\bGH-\d", re.IGNORECASE)


def render(pr_tree: Path, impact: ImpactReport | None = IMPACT, **settings: object) -> str:
    paths = [pr_tree / "lab-safety-101.json", pr_tree / "first-pull-request.json"]
    options = {"github_repository": "owner/frames", "modules_dir": pr_tree, **settings}
    impact_file = None
    if impact is not None:
        impact_file = pr_tree.parent / "impact.json"
        impact_file.write_text(json.dumps(impact.to_json()))
    result = review_pull_request(
        paths,
        Settings(**options),  # type: ignore[arg-type]
        base_ref="main",
        head_sha=HEAD,
        impact_path=impact_file,
        preview_url="https://github.com/owner/frames/actions/runs/1/artifacts/2",
    )
    return result.body


def test_sample_change_shows_impact_first_then_added_and_changed_sections(pr_tree: Path) -> None:
    body = render(pr_tree)

    assert body.startswith(COMMENT_MARKER)
    assert "> **Learner impact: this PR needs a second review before merging.**" in body
    assert (
        "| `lab-safety-101` | PPE Requirements (`ppe-requirements`) | removed | **3** completed, **2** started" in body
    )
    assert "| `lab-safety-101` | Safety Check (`safety-check`) | content changed | **4** completed it" in body
    assert "| `first-pull-request` | (whole module) | archived | **2** in progress, **2** open assignment(s)" in body
    assert body.index("### Learner impact") < body.index("### Lab Safety 101")
    # added: text as text (its heading below the section's), the image from the head commit
    assert "#### Added: 2. Choosing Gloves (`gloves`, text)" in body
    assert "\n#### Gloves\n" in body
    assert (
        "![The floor plan](https://github.com/owner/frames/raw/" + HEAD + "/data/assets/lab-safety-101/floor-plan.png)"
        in body
    )
    # changed: the hotspots as a list, the quiz with its answers marked
    assert "#### Changed (content): 4. Locate Safety Equipment (`locate-equipment`, interactive)" in body
    assert "1. **Fire Extinguisher** (at x 120, y 200) — Pull the pin, aim at the base, squeeze, sweep." in body
    assert "**Q1. Chemicals in your eye: what comes first?**" in body
    assert "- ✅ **Go to the eye wash station and rinse for 15 minutes** (correct)" in body
    assert "- Rub it gently\n" in body
    # removed and unchanged sections get no body; a deleted module says what deploy does
    assert "**Removed:** PPE Requirements (`ppe-requirements`, was number 2)" in body
    assert "Welcome to Lab Safety" not in body
    assert "**Module removed**: deploy archives it" in body
    assert "[Open the full preview](https://github.com/owner/frames/actions/runs/1/artifacts/2)" in body


def test_without_impact_the_comment_says_it_is_not_configured(pr_tree: Path) -> None:
    body = render(pr_tree, impact=None)

    assert "Learner impact is not configured: set the `DATABASE_READONLY_URL` secret" in body
    assert "second review" not in body


def test_impact_without_learners_asks_for_no_second_review(pr_tree: Path) -> None:
    body = render(pr_tree, impact=ImpactReport((ModuleImpact("lab-safety-101", "updated"),)))

    assert "No student has progress on anything this PR removes, changes or archives." in body
    assert "[!WARNING]" not in body


HOSTILE = (
    "Thanks @octocat and @frames-org/reviewers! Fixes #123, owner/repo#45 and GH-7; mail lead@example.org.\n\n"
    "&#64;admin <details><summary>x</summary> <img src=x onerror=alert(1)> <!-- frames-review-comment -->\n\n"
    "```\nan unclosed fence that would swallow the rest of the comment"
)


def hostile_module() -> dict:
    data = sample_module("hostile", title="Ping @octocat #1")
    data["sections"] = [text_section("intro", 1, HOSTILE)]
    data["sections"][0]["title"] = "@everyone </details> #99"
    return data


def test_hostile_notion_content_can_neither_ping_nor_link_nor_inject_html() -> None:
    body = render_review_comment(
        [ReviewedModule("hostile", None, hostile_module())], IMPACT, asset_url=lambda u: u, preview_url=None
    )

    assert not LIVE_MENTION.search(body), LIVE_MENTION.findall(body)
    assert not LIVE_ISSUE_REF.search(body), LIVE_ISSUE_REF.findall(body)
    assert body.count(COMMENT_MARKER) == 1
    assert "<details" not in body and "<img" not in body and "</details>" not in body
    assert "&amp;#\u200b64;admin" in body  # shown as the text "&#64;admin", never decoded to an @
    assert "lead@example.org" in body  # an e-mail address is no mention, and stays readable
    # the author's open fence is closed before our own text goes on
    fences = [line for line in body.split("\n") if line.startswith("```")]
    assert len(fences) % 2 == 0
    assert body.rstrip().endswith("see docs/review.md.</sub>")


def test_huge_sections_are_shortened_longest_first_to_fit_githubs_limit() -> None:
    data = sample_module("big")
    data["sections"] = [
        text_section("huge", 1, "word " * 40_000),
        text_section("large", 2, "line\n" * 9_000),
        text_section("small", 3, "Short and intact."),
    ]

    body = render_review_comment([ReviewedModule("big", None, data)], IMPACT, asset_url=lambda u: u, preview_url=None)

    assert len(body) <= MAX_COMMENT_CHARS
    assert "Short and intact." in body
    assert body.count("shortened to fit GitHub's comment limit") == 2
    huge = body.split("(`huge`, text)")[1].split("####")[0]
    large = body.split("(`large`, text)")[1].split("####")[0]
    assert abs(len(huge) - len(large)) < 200  # both cut to one length, not the first one to nothing


def test_hundreds_of_sections_still_fit() -> None:
    data = sample_module("many")
    data["sections"] = [text_section(f"s{n}", n, "Text " * 200) for n in range(1, 800)]

    body = render_review_comment([ReviewedModule("many", None, data)], None, asset_url=lambda u: u, preview_url=None)

    assert len(body) <= MAX_COMMENT_CHARS


@pytest.mark.parametrize("module_id", ["lab-safety-101", "equipment-tour", "first-pull-request"])
def test_every_sample_renders_as_a_new_module(module_id: str) -> None:
    from tests.paths import SAMPLE_MODULES

    data = json.loads((SAMPLE_MODULES / f"{module_id}.json").read_text(encoding="utf-8"))

    body = render_review_comment([ReviewedModule(module_id, None, data)], None, asset_url=lambda u: u, preview_url=None)

    assert f"(`{module_id}`)" in body and "new module" in body
    assert body.count("#### Added:") == len(data["sections"])
    assert not LIVE_MENTION.search(body) and not LIVE_ISSUE_REF.search(body)


def test_cli_prints_the_comment_without_posting_when_no_pr_is_given(pr_tree: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(pr_tree.parent.parent)

    code = main(["review", "comment", "data/modules/lab-safety-101.json", "--base", "main"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(COMMENT_MARKER) and "#### Added: 2. Choosing Gloves" in out
    assert "![The floor plan](data/assets/lab-safety-101/floor-plan.png)" in out


def test_a_broken_impact_file_is_a_usage_error_that_names_it(pr_tree: Path) -> None:
    bad = pr_tree.parent / "impact.json"
    bad.write_text('{"modules": [{"module_id": "x"}]}')

    with pytest.raises(ConfigError, match=r"impact\.json: not the JSON of `deploy --dry-run --impact --format json`"):
        review_pull_request([pr_tree / "lab-safety-101.json"], Settings(), base_ref="main", impact_path=bad)
