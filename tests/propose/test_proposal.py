"""propose: one branch, one commit and one PR per changed module, against the fake GitHub through PyGithub."""

from __future__ import annotations

import shutil

from pipeline.module.canonical import dump_module
from pipeline.module.document import load_module
from pipeline.propose.proposal import propose_modules
from tests.module_builders import export_edit
from tests.paths import copy_sample_data


def _retitle_welcome(data: dict) -> None:
    data["sections"][0]["title"] = "Welcome, new lab member"


def test_new_module_opens_one_pr_with_its_commit_assets_labels_status_and_body(
    github_fake, module_tree, propose, tmp_path
):
    # given: main does not have equipment-tour yet (nor its picture)
    github_fake.seed(copy_sample_data(tmp_path / "seed", ("lab-safety-101", "first-pull-request")))
    main_before = github_fake.head("main")

    # when
    report = propose(module_tree / "equipment-tour.json")

    # then: one PR from notion/equipment-tour, with one commit on main holding the module and its asset
    (result,) = report.results
    assert (result.action, result.branch, result.pr_number) == ("created", "notion/equipment-tour", 1)
    head = github_fake.head("notion/equipment-tour")
    assert github_fake.repo.git.commits[head].parents == (main_before,)
    module_file = module_tree / "equipment-tour.json"
    assert (
        github_fake.read_file("data/modules/equipment-tour.json", "notion/equipment-tour")
        == dump_module(load_module(module_file).data).encode()
    )
    assert (
        github_fake.read_file("data/assets/equipment-tour/bench.png", "notion/equipment-tour")
        == (module_tree.parent / "assets" / "equipment-tour" / "bench.png").read_bytes()
    )
    assert github_fake.head("main") == main_before, "propose never writes to main"

    (pr,) = github_fake.pulls()
    assert pr["title"] == "Module: Equipment Tour (equipment-tour) r3"
    assert pr["head"]["ref"] == "notion/equipment-tour" and pr["base"]["ref"] == "main"
    assert github_fake.labels(1) == ["module", "from-notion"]
    (status,) = github_fake.statuses(head)
    assert (status["context"], status["state"]) == ("modules/validate", "success")
    body = pr["body"]
    assert "**New module.**" in body
    assert "<!-- frames-module: equipment-tour -->" in body
    assert "`module-preview` artifact" in body
    assert "Valid" in body


def test_unchanged_module_file_proposes_nothing(github_fake, propose):
    # given: main holds exactly the repository's module files
    # when
    report = propose()

    # then
    assert {r.action for r in report.results} == {"unchanged"}
    assert report.ok
    assert github_fake.writes() == []
    assert github_fake.pulls() == []


def test_changed_module_updates_the_same_pr_and_moves_its_branch(github_fake, module_tree, propose):
    # given: an export changed a section title and PR #1 is open for it
    path = export_edit(module_tree, "lab-safety-101", _retitle_welcome)
    assert propose(path).results[0].action == "created"
    first_head = github_fake.head("notion/lab-safety-101")

    # when: the next export also changes the estimated time
    export_edit(module_tree, "lab-safety-101", lambda d: d.update(estimated_minutes=15))
    (result,) = propose(path).results

    # then: still one PR, its branch moved to one new commit on main, its body and title edited
    assert (result.action, result.pr_number) == ("updated", 1)
    assert len(github_fake.pulls()) == 1
    head = github_fake.head("notion/lab-safety-101")
    assert head != first_head
    assert github_fake.repo.git.commits[head].parents == (github_fake.head("main"),)
    pr = github_fake.pulls()[0]
    assert pr["title"].endswith("(lab-safety-101) r3")
    assert "**Estimated minutes:** 10 → 15" in pr["body"]
    assert "`welcome` Welcome, new lab member" in pr["body"]
    assert [s["state"] for s in github_fake.statuses(head)] == ["success"]


def test_running_again_without_change_makes_no_new_commit(github_fake, module_tree, propose):
    # given
    path = export_edit(module_tree, "lab-safety-101", _retitle_welcome)
    propose(path)
    head = github_fake.head("notion/lab-safety-101")
    github_fake.log.clear()

    # when
    (result,) = propose(path).results

    # then
    assert (result.action, result.pr_number) == ("unchanged", 1)
    assert github_fake.head("notion/lab-safety-101") == head
    assert github_fake.writes() == []


def test_invalid_module_is_still_proposed_with_a_failing_status_and_its_problems(github_fake, module_tree, propose):
    # given: the export produced a section with a gap in the numbering
    path = export_edit(module_tree, "lab-safety-101", lambda d: d["sections"][1].update(section_number=7))

    # when
    (result,) = propose(path).results

    # then
    assert result.action == "created"
    assert result.problems and "section_number" in " ".join(result.problems)
    (status,) = github_fake.statuses(github_fake.head("notion/lab-safety-101"))
    assert status["state"] == "failure"
    # the status leads with the problem, in the reviewer's terms (section number and title)
    assert status["description"].startswith("section #2 'PPE Requirements', its position: section_number is 7")
    assert len(status["description"]) <= 140
    body = github_fake.pulls()[0]["body"]
    assert "**1 problem(s)**" in body
    assert "section #2 'PPE Requirements', its position: section_number is 7" in body
    assert "/sections/1/section_number" in body, "the pointer stays, to find the line in the Files tab"
    assert "the next export (the nightly run, or Actions → export → Run workflow)" in body


def test_the_status_links_the_actions_run_that_set_it_not_the_pr(github_fake, module_tree):
    path = export_edit(module_tree, "lab-safety-101", lambda d: d["sections"][1].update(section_number=7))
    settings = github_fake.settings(modules_dir=module_tree, github_run_id="4242", github_server_url="https://gh.test")

    propose_modules([path], settings)

    (status,) = github_fake.statuses(github_fake.head("notion/lab-safety-101"))
    assert status["target_url"] == f"https://gh.test/{github_fake.repo_name}/actions/runs/4242"


def test_the_body_names_the_team_lead_and_the_owner(github_fake, module_tree, propose):
    path = export_edit(module_tree, "lab-safety-101", lambda d: d.update(created_by_id="maria-lopez", owner_id=None))

    propose(path)

    body = github_fake.pulls()[0]["body"]
    assert "**Team lead:** `maria-lopez` · **Owner:** not set" in body


def test_export_notes_are_listed_in_the_body_and_kept_when_the_page_was_not_read_again(github_fake, module_tree):
    settings = github_fake.settings(modules_dir=module_tree)
    path = export_edit(module_tree, "lab-safety-101", lambda d: d.update(description="Safety first."))
    note = "section #2 'In practice', the block starting 'Extra reading': the sub-page 'Extra reading' is not exported"
    propose_modules([path], settings, export_notes={"lab-safety-101": [note]})

    export_edit(module_tree, "lab-safety-101", lambda d: d.update(description="Safety first, always."))
    propose_modules([path], settings)  # e.g. `propose` by hand: the page was not read, its notes still hold

    body = github_fake.pulls()[0]["body"]
    assert "### What the export left out or changed" in body
    assert f"- `{note}`" in body
    assert body.count("### What the export left out or changed") == 1
    propose_modules([path], settings, export_notes={"lab-safety-101": []})  # read again: nothing left out now
    assert "What the export left out" not in github_fake.pulls()[0]["body"]


def test_module_edited_in_github_after_export_is_flagged_at_the_top_of_the_pr(
    github_fake, module_tree, tmp_path, propose
):
    # given: main's copy records the exported content hash, then someone fixed a typo in GitHub
    from pipeline.module.canonical import content_hash, write_module

    exported = load_module(module_tree / "lab-safety-101.json").data
    exported["metadata"]["content_hash"] = content_hash(exported)
    write_module(module_tree / "lab-safety-101.json", exported)
    seeded = tmp_path / "seed"
    shutil.copytree(module_tree.parent, seeded)
    edited = load_module(seeded / "modules" / "lab-safety-101.json").data
    edited["sections"][0]["content"] = edited["sections"][0]["content"].replace("keep everyone", "keeps everyone")
    write_module(seeded / "modules" / "lab-safety-101.json", edited)
    github_fake.seed(seeded)

    # when: the next export (without that fix) changes the description
    path = export_edit(module_tree, "lab-safety-101", lambda d: d.update(description="Safety first."))
    (result,) = propose(path).results

    # then: the body opens with a warning that shows the fix the export would undo
    assert result.action == "created"
    body = github_fake.pulls()[0]["body"]
    assert body.startswith("> [!WARNING]")
    warning = body.split("### What changed")[0]
    assert "-This module teaches you the **five rules** that keeps everyone" in warning
    assert "+This module teaches you the **five rules** that keep everyone" in warning


def test_module_without_edits_after_export_has_no_warning(github_fake, module_tree, propose):
    path = export_edit(module_tree, "lab-safety-101", _retitle_welcome)
    propose(path)
    assert "[!WARNING]" not in github_fake.pulls()[0]["body"]


def test_commit_holds_only_the_files_that_differ_from_main(github_fake, module_tree, propose):
    # given: equipment-tour changed, its picture did not
    path = export_edit(module_tree, "equipment-tour", lambda d: d.update(estimated_minutes=20))

    # when
    propose(path)

    # then
    git = github_fake.repo.git
    branch = git.flatten(git.commits[github_fake.head("notion/equipment-tour")].tree)
    main = git.flatten(git.commits[github_fake.head("main")].tree)
    assert {p for p in branch.keys() | main.keys() if branch.get(p) != main.get(p)} == {
        "data/modules/equipment-tour.json"
    }


def test_rollback_can_propose_a_file_on_its_own_branch_with_a_reason(github_fake, module_tree):
    # given: an older version of the module restored locally
    from github import Auth, Github

    from pipeline.propose.proposal import propose_module_file

    path = export_edit(module_tree, "lab-safety-101", lambda d: d.update(estimated_minutes=5))
    client = Github(
        auth=Auth.Token(github_fake.token),
        base_url=github_fake.base_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )

    # when
    result = propose_module_file(
        client.get_repo(github_fake.repo_name),
        path,
        settings=github_fake.settings(modules_dir=module_tree),
        branch="rollback/lab-safety-101",
        reason="Roll back to abc1234: wrong PPE table",
    )

    # then
    assert (result.action, result.branch) == ("created", "rollback/lab-safety-101")
    (pr,) = github_fake.pulls()
    assert pr["head"]["ref"] == "rollback/lab-safety-101"
    assert "**Reason:** Roll back to abc1234: wrong PPE table" in pr["body"]
    assert github_fake.labels(1) == ["module"]


def test_module_id_that_cannot_be_a_branch_name_is_refused(github_fake, module_tree, propose):
    path = export_edit(module_tree, "lab-safety-101", lambda d: d.update(module_id="../../escape"))

    (result,) = propose(path).results

    assert result.action == "failed" and "lowercase-words-with-hyphens" in result.problems[0]
    assert github_fake.writes() == []


def test_merging_another_module_does_not_recommit_open_module_prs(github_fake, module_tree, propose):
    # given: two module PRs open, and one of them merged
    lab = export_edit(module_tree, "lab-safety-101", _retitle_welcome)
    tour = export_edit(module_tree, "equipment-tour", lambda d: d.update(estimated_minutes=20))
    created = {r.module_id: r.pr_number for r in propose(lab, tour).results}
    tour_head = github_fake.head("notion/equipment-tour")
    github_fake.merge(created["lab-safety-101"])
    github_fake.log.clear()

    # when: the next run finds both files as they were
    results = {r.module_id: r.action for r in propose(lab, tour).results}

    # then: the merged one is on main now; the other PR keeps its commit (reviews are not dismissed)
    assert results == {"lab-safety-101": "unchanged", "equipment-tour": "unchanged"}
    assert github_fake.head("notion/equipment-tour") == tour_head
    assert github_fake.writes() == []


def test_edit_of_the_same_module_on_main_rebuilds_the_branch_on_main(github_fake, module_tree, propose):
    # given: a PR open for lab-safety-101, then its file edited on main in GitHub
    path = export_edit(module_tree, "lab-safety-101", _retitle_welcome)
    propose(path)
    main_file = github_fake.read_file("data/modules/lab-safety-101.json")
    new_main = github_fake.commit_file(
        "data/modules/lab-safety-101.json", main_file.replace(b"Lab Safety 101", b"Lab Safety 101!", 1)
    )

    # when
    (result,) = propose(path).results

    # then: one new commit, on today's main, so the PR merges without conflict
    assert (result.action, result.pr_number) == ("updated", 1)
    assert github_fake.repo.git.commits[github_fake.head("notion/lab-safety-101")].parents == (new_main,)


def test_pr_of_a_change_undone_in_notion_is_closed(github_fake, module_tree, propose):
    # given: a PR open for a retitled section, then the team lead undid the change in Notion
    original = (module_tree / "lab-safety-101.json").read_bytes()
    path = export_edit(module_tree, "lab-safety-101", _retitle_welcome)
    propose(path)
    path.write_bytes(original)

    # when
    (result,) = propose(path).results

    # then: the outdated PR is closed with a comment, so nobody merges old content
    assert (result.action, result.pr_number) == ("closed", 1)
    (pr,) = github_fake.pulls()
    assert pr["state"] == "closed" and not pr["merged"]
    assert "now equals `main`" in github_fake.repo.comments[1][0]["body"]


def test_merged_module_is_on_main_for_deploy(github_fake, module_tree, propose, tmp_path):
    # given
    path = export_edit(module_tree, "lab-safety-101", _retitle_welcome)
    (result,) = propose(path).results

    # when: the reviewer merges
    merge_sha = github_fake.merge(result.pr_number)

    # then: main holds the proposed file, and the merge commit leads back to the PR (what writeback looks up)
    checkout = github_fake.checkout(tmp_path / "checkout")
    assert (checkout / "data" / "modules" / "lab-safety-101.json").read_bytes() == path.read_bytes()
    assert [pr["number"] for pr in github_fake.pulls() if pr["merge_commit_sha"] == merge_sha] == [1]
