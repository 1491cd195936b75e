"""With --base, a reviewer sees which sections a PR added, changed (with a diff) or removed, and a summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.module.canonical import dump_module
from tests.git_repo import git
from tests.preview.html_scan import assert_inert, scan


@pytest.fixture
def pr_tree(module_tree: Path) -> Path:
    """A Git repository with the samples committed on main, then a PR's edits in the working tree."""
    repo = module_tree.parent.parent
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "samples")
    path = module_tree / "lab-safety-101.json"
    doc = json.loads(path.read_text())
    welcome, *_rest = doc["sections"]
    welcome["content"] += "\n\nWear closed shoes at all times."
    removed = doc["sections"].pop(1)
    doc["sections"].insert(
        1, {**removed, "section_id": "gloves", "title": "Choosing Gloves", "content": "Nitrile for most chemicals."}
    )
    doc["estimated_minutes"] = 12
    path.write_text(dump_module(doc))
    new = json.loads((module_tree / "equipment-tour.json").read_text())
    new.update(module_id="soldering-101", title="Soldering 101")
    (module_tree / "soldering-101.json").write_text(dump_module(new))
    return module_tree


def test_changed_module_shows_added_changed_and_removed_sections(pr_tree: Path, tmp_path: Path):
    # when the PR's modules are previewed against main
    out = tmp_path / "out"
    assert main(["preview", str(pr_tree), "--out", str(out), "--base", "main"]) == 0
    # then the changed module says what changed, section by section, with a text diff
    page = assert_inert((out / "modules/lab-safety-101.html").read_text())
    [changes] = page.find("div", class_="changes")
    assert "Changes since main (" in changes.text
    assert "estimated_minutes: 10 → 12" in changes.text
    badges = {e.text for e in page.find("span", class_="change")}
    assert {"added", "changed", "removed"} <= badges
    assert [s.text for s in page.find("span", class_="add")] == ["+", "+Wear closed shoes at all times."]
    added = page.find("section", id="s-gloves")[0]
    assert "added" in added.text
    # the new module and the unchanged one say so
    assert "Not in main" in scan((out / "modules/soldering-101.html").read_text()).text
    assert "No content changes since main" in scan((out / "modules/first-pull-request.html").read_text()).text
    index = scan((out / "index.html").read_text())
    assert {"new", "1 added", "1 changed", "1 removed", "unchanged"} <= {e.text for e in index.find("span")}
    # what the PR changed comes first in the index
    first_two = [a.attrs["href"] for a in index.find("a")][:2]
    assert first_two == ["modules/lab-safety-101.html", "modules/soldering-101.html"]


def test_summary_is_appended_for_the_job_summary(pr_tree: Path, tmp_path: Path):
    summary = tmp_path / "step-summary.md"
    summary.write_text("## Validate\nok\n")
    assert (
        main(["preview", str(pr_tree), "--out", str(tmp_path / "out"), "--base", "main", "--summary", str(summary)])
        == 0
    )
    text = summary.read_text()
    assert text.startswith("## Validate\nok\n### Module preview\n")
    assert "4 module(s), 20 section(s): 7 text, " in text
    assert "1 new, 1 changed, 2 unchanged" in text
    [row] = [line for line in text.splitlines() if "`lab-safety-101`" in line]
    assert "1 added: Choosing Gloves; 1 changed: Welcome to Lab Safety; 1 removed:" in row
    assert "fields: estimated\\_minutes" in row


def test_unknown_base_ref_is_a_usage_error(pr_tree: Path, tmp_path: Path, capsys):
    assert main(["preview", str(pr_tree), "--out", str(tmp_path / "out"), "--base", "no-such-branch"]) == 2
    err = capsys.readouterr().err
    assert "--base no-such-branch: no such commit" in err and "fetch-depth" in err
    assert not (tmp_path / "out").exists()
    assert main(["preview", str(pr_tree), "--out", str(tmp_path / "out"), "--base=--output=x"]) == 2
    assert "give a branch, tag or commit" in capsys.readouterr().err


def test_module_removed_by_the_pr_is_listed_as_removed(pr_tree: Path, tmp_path: Path):
    # given a PR that deletes a module file
    (pr_tree / "first-pull-request.json").unlink()
    summary = tmp_path / "summary.md"
    # when the folder is previewed against main, or the deleted file is named explicitly
    assert (
        main(["preview", str(pr_tree), "--out", str(tmp_path / "a"), "--base", "main", "--summary", str(summary)]) == 0
    )
    assert (
        main(["preview", str(pr_tree / "first-pull-request.json"), "--out", str(tmp_path / "b"), "--base", "main"]) == 0
    )
    # then the index says it is removed (there is no page for it), and so does the summary
    for out in ("a", "b"):
        index = scan((tmp_path / out / "index.html").read_text())
        [item] = [li for li in index.find("li") if "first-pull-request" in li.text]
        assert "module removed" in item.text and "Your First Pull Request" in item.text
        assert not (tmp_path / out / "modules/first-pull-request.html").exists()
    assert "| module removed |" in summary.read_text() and "1 removed." in summary.read_text()


def test_duplicate_or_unsafe_module_ids_get_no_page_of_their_own(module_tree: Path, tmp_path: Path):
    doc = json.loads((module_tree / "equipment-tour.json").read_text())
    (module_tree / "copy.json").write_text(dump_module(doc))
    doc["module_id"] = "../../escape"
    (module_tree / "escape.json").write_text(dump_module(doc))
    assert main(["preview", str(module_tree), "--out", str(tmp_path / "out")]) == 0
    errors = " ".join(e.text for e in scan((tmp_path / "out/index.html").read_text()).find("div", class_="error"))
    assert "copy.json: module_id 'equipment-tour' is also used by" in errors
    assert "not lowercase-words-with-hyphens" in errors
    assert sorted(p.name for p in tmp_path.rglob("*.html")) == [
        "equipment-tour.html",
        "first-pull-request.html",
        "index.html",
        "lab-safety-101.html",
    ]
