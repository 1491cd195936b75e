"""`rollback` with GitHub configured: the restored file goes to main through a reviewed PR, like an export."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.cli import main
from tests.git_repo import git
from tests.paths import copy_sample_data


def test_rollback_opens_a_pr_that_restores_the_old_file(tmp_path: Path, github_fake, monkeypatch, capsys):
    # given a module whose title was broken in a later commit, and GitHub's main holding the broken version
    root = tmp_path / "repo"
    copy_sample_data(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "data")
    git(root, "commit", "-qm", "modules")
    good = git(root, "rev-parse", "HEAD")
    path = root / "data" / "modules" / "lab-safety-101.json"
    original = path.read_bytes()
    broken = json.loads(original)
    broken["title"] = "Broken title"
    path.write_text(json.dumps(broken, indent=2, ensure_ascii=False) + "\n")
    git(root, "commit", "-qam", "bad edit")
    github_fake.seed(root / "data")
    for name, value in github_fake.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MODULES_DIR", str(root / "data" / "modules"))

    # when the operator rolls it back to the good commit
    code = main(["rollback", "lab-safety-101", "--to", good[:10]])

    # then the file is restored locally and one PR on rollback/lab-safety-101 carries the old content
    out = capsys.readouterr().out
    assert code == 0, out
    assert path.read_bytes() == original
    [pr] = github_fake.pulls("open")
    assert pr["head"]["ref"] == "rollback/lab-safety-101"
    assert good[:12] in pr["body"]
    assert github_fake.read_file("data/modules/lab-safety-101.json", "rollback/lab-safety-101") == original
    assert pr["html_url"] in out
    assert github_fake.token not in out
