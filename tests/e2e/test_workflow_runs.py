"""The loop as GitHub Actions runs it: every run of export.yml and deploy.yml starts from a fresh clone of main.

Writes are counted from the fakes' request logs; a run with nothing edited in Notion must make none.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.e2e.harness import WorkflowRun, WorkflowRunner
from tests.notion.pages import PNG, add_module_page, add_pipette_page
from tests.paths import copy_sample_data

MODULE_ID = "pipette-basics"
BRANCH = f"notion/{MODULE_ID}"
MODULE_FILE = f"data/modules/{MODULE_ID}.json"


@pytest.fixture
def actions(tmp_path: Path, notion_fake, github_fake, migrated_engine) -> Actions:
    """A repository whose main holds the schema and one manual module, a Module Library, and a runner."""
    data = copy_sample_data(tmp_path / "seed", ("first-pull-request",))
    github_fake.seed(data)
    _, data_source_id = notion_fake.add_module_library()
    runner = WorkflowRunner(
        tmp_path / "runner",
        github_fake,
        secrets={
            "NOTION_TOKEN": notion_fake.token,
            "GITHUB_TOKEN": github_fake.token,
            "DATABASE_URL": migrated_engine.url.render_as_string(hide_password=False),
        },
        vars={"NOTION_DATA_SOURCE_ID": data_source_id},
        runner_env={
            "NOTION_BASE_URL": notion_fake.base_url,
            "NOTION_REQUESTS_PER_SECOND": "200",
            "NOTION_RETRY_SECONDS": "0.01",
            **{k: v for k, v in github_fake.env().items() if k.startswith("PIPELINE_")},
        },
    )
    return Actions(runner, notion_fake, github_fake, data_source_id, migrated_engine)


class Actions:
    def __init__(self, runner: WorkflowRunner, notion, github, data_source_id: str, engine) -> None:
        self.runner, self.notion, self.github, self.data_source_id = runner, notion, github, data_source_id
        self.engine = engine

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def add_ready_page(self) -> str:
        return add_pipette_page(self.notion, self.data_source_id, MODULE_ID)

    def nightly(self) -> WorkflowRun:
        return self._ok(self.runner.run("export", "schedule"))

    def notified(self, page_id: str) -> WorkflowRun:
        return self._ok(self.runner.run("export", "repository_dispatch", client_payload={"page_id": page_id}))

    def merge_and_deploy(self, number: int) -> WorkflowRun:
        self.github.merge(number)
        return self._ok(self.runner.run("deploy", "push"))

    def forget_requests(self) -> None:
        self.github.server.log.clear()
        self.notion.clear_log()

    def writes(self) -> tuple[list, list]:
        """(GitHub writes, Notion writes) since the logs were last cleared."""
        return self.github.writes(), self.notion.writes()

    @staticmethod
    def _ok(run: WorkflowRun) -> WorkflowRun:
        assert run.ok, run.explain()
        return run


def test_a_second_nightly_run_from_a_fresh_checkout_writes_nothing(actions: Actions):
    # given a Ready page, and a nightly run that proposed it and linked the PR on the page
    page_id = actions.add_ready_page()
    first = actions.nightly()
    [pr] = actions.github.pulls("open")
    assert pr["head"]["ref"] == BRANCH
    assert pr["title"].startswith("Module: ") and f"({MODULE_ID}) r1" in pr["title"]
    module = json.loads(actions.github.read_file(MODULE_FILE, BRANCH) or b"{}")
    # the picture is referred to by its content's hash; Git holds the pointer, not the bytes
    [picture] = [s["content"] for s in module["sections"] if "/media/" in s["content"]]
    assert f"/media/sha256/{hashlib.sha256(PNG).hexdigest()[:2]}/" in picture
    assert "/assets/" not in json.dumps(module)
    assert actions.notion.property_of(page_id, "GitHub Branch/PR") == pr["html_url"]
    assert actions.notion.property_of(page_id, "Status") == "Ready"
    assert "## Notion export" in first.summary and "1 written" in first.summary
    head = actions.github.head(BRANCH)

    # when the next night's run starts from a fresh checkout of main (where the module is only on its branch)
    actions.notion.advance(days=1)
    actions.forget_requests()
    second = actions.nightly()

    # then it makes no GitHub write and no Notion write: no commit, no status, no PR edit, no link rewrite
    github_writes, notion_writes = actions.writes()
    assert github_writes == [], second.explain()
    assert notion_writes == [], second.explain()
    assert actions.github.head(BRANCH) == head
    # and the page, whose only edit since the export is the integration's own link, is not read again
    assert "1 skipped" in second.summary
    assert actions.notion.count("blocks.children.list") == 0
    # and the module the run exported is byte for byte the one on the PR's branch
    exported = (second.checkout / MODULE_FILE).read_bytes()
    assert exported == actions.github.read_file(MODULE_FILE, BRANCH)


def test_a_webhook_dispatched_run_exports_the_ready_page_and_a_repeat_writes_nothing(actions: Actions):
    # given a team lead set a page to Ready and Notion's webhook made the receiver dispatch `notion-ready`
    page_id = actions.add_ready_page()
    run = actions.notified(page_id)

    # then the run says which page Notion reported, and proposes it
    assert f"Notion reported a change to page {page_id}" in run.summary
    [pr] = actions.github.pulls("open")
    assert actions.notion.property_of(page_id, "GitHub Branch/PR") == pr["html_url"]

    # when Notion reports the integration's own write (the PR link) and the receiver dispatches again
    actions.forget_requests()
    actions.notified(page_id)

    # then nothing is written anywhere, so no further event can follow
    assert actions.writes() == ([], [])


def test_nightly_then_merge_and_deploy_then_nightly_ends_quiet(actions: Actions):
    page_id = actions.add_ready_page()
    actions.nightly()
    [pr] = actions.github.pulls("open")

    # when a reviewer merges the PR, the push runs deploy.yml (migrate, deploy, writeback)
    deployed = actions.merge_and_deploy(pr["number"])

    # then the module is live at revision 1 from the merge commit, and the page shows Live with the PR's link
    sql = "SELECT {} FROM module_revisions WHERE module_id = :m"
    assert actions.scalar(sql.format("revision"), m=MODULE_ID) == 1
    assert actions.scalar(sql.format("source_commit"), m=MODULE_ID) == deployed.sha
    assert actions.scalar("SELECT count(*) FROM notion_writeback WHERE state = 'pending'") == 0
    assert actions.notion.property_of(page_id, "Status") == "Live"
    assert actions.notion.property_of(page_id, "GitHub Branch/PR") == pr["html_url"]
    assert actions.notion.property_of(page_id, "Last Updated")
    assert "## Notion writeback" in deployed.summary and "1 written" in deployed.summary
    main_module = json.loads(actions.github.read_file(MODULE_FILE) or b"{}")
    assert main_module["metadata"]["revision"] == 1

    # when the next nightly run starts from main, which now holds the module
    actions.notion.advance(days=1)
    actions.forget_requests()
    actions.nightly()

    # then it writes nothing on either side
    assert actions.writes() == ([], [])
    assert actions.github.pulls("open") == []


def test_an_edit_after_a_quiet_night_updates_the_same_pr_at_the_next_revision(actions: Actions):
    page_id = actions.add_ready_page()
    actions.nightly()
    actions.notion.advance(days=1)
    actions.nightly()
    head = actions.github.head(BRANCH)

    # when the team lead edits a paragraph and the next nightly run starts from a fresh checkout
    actions.notion.advance(minutes=5)
    paragraph = next(i for i in actions.notion.page_blocks(page_id) if actions.notion.blocks[i]["type"] == "paragraph")
    actions.notion.edit_block(paragraph, "Pipetting, revised after review.")
    actions.notion.advance(minutes=5)
    actions.forget_requests()
    actions.nightly()

    # then the same PR gets one new commit at revision 2, and the page's link is not written again
    [pr] = actions.github.pulls("all")
    assert actions.github.head(BRANCH) != head
    assert f"({MODULE_ID}) r2" in pr["title"]
    module = json.loads(actions.github.read_file(MODULE_FILE, BRANCH) or b"{}")
    assert module["metadata"]["revision"] == 2
    assert "Pipetting, revised after review." in json.dumps(module)
    # the page already shows this PR's link: the run writes nothing to Notion
    assert actions.notion.writes() == []


def test_writeback_finds_the_merged_pr_from_list_items_without_fetching_each_pr(actions: Actions):
    # given GitHub's list answers carry no `merged` field (the fake's list items are the short form, like GitHub's)
    actions.add_ready_page()
    actions.nightly()
    [pr] = actions.github.pulls("open")
    listed = actions.github.server.pull_json(actions.github.repo, actions.github.repo.pulls[pr["number"]], listed=True)
    assert "merged" not in listed and "merged_at" in listed

    # when the merge is deployed and writeback looks up the merged PR
    actions.forget_requests()
    actions.merge_and_deploy(pr["number"])

    # then it links the PR without a second request per pull request
    assert actions.github.requests("GET", f"/pulls/{pr['number']}") == []


def test_a_run_by_hand_for_one_page_exports_it_whatever_its_status(actions: Actions):
    # given a page still in Draft, which the nightly run leaves alone
    page_id = add_module_page(actions.notion, actions.data_source_id, MODULE_ID, Status="Draft")
    actions.nightly()
    assert actions.github.pulls("all") == []

    # when an operator runs export.yml by hand with that page's id
    run = actions.runner.run("export", "workflow_dispatch", inputs={"page_id": page_id.replace("-", "")})

    # then that page is proposed, and the summary says which page the run was for
    assert run.ok, run.explain()
    assert f"of page {page_id.replace('-', '')}" in run.summary
    [pr] = actions.github.pulls("open")
    assert pr["head"]["ref"] == BRANCH


def test_a_module_id_changed_while_its_pr_is_open_is_refused_until_that_pr_is_closed(actions: Actions):
    # given a page proposed as pipette-basics, whose PR is still open
    page_id = actions.add_ready_page()
    actions.nightly()
    [old_pr] = actions.github.pulls("open")

    # when the team lead changes its Module ID and the nightly run starts from a fresh checkout
    actions.notion.advance(minutes=5)
    actions.notion.set_property(page_id, "Module ID", "pipette-handling")
    refused = actions.runner.run("export", "schedule")

    # then the run fails for that page, tells the team lead on the page, and opens no second PR for it
    assert not refused.ok
    assert "still waiting for review" in refused.summary
    assert [pr["number"] for pr in actions.github.pulls("open")] == [old_pr["number"]]
    [comment] = actions.notion.comments[page_id]
    assert "set Module ID back to 'pipette-basics'" in comment["rich_text"][0]["plain_text"]

    # when a reviewer closes the old PR, the next run proposes the module under its new ID
    actions.github.repo.pulls[old_pr["number"]]["state"] = "closed"
    actions.nightly()
    [new_pr] = actions.github.pulls("open")
    assert new_pr["head"]["ref"] == "notion/pipette-handling"
