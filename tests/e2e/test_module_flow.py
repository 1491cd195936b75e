"""The loop's library functions, through the real SDKs and real HTTP: failures and by-hand use.

The loop as the workflows run it (each run a fresh checkout of main) is in test_workflow_runs.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from pipeline.deploy.apply import deploy
from pipeline.notion.library import create_module_library
from pipeline.settings import Settings
from pipeline.sync import sync
from pipeline.writeback import retry_gone_writebacks, write_back
from tests.notion.pages import add_module_page, add_pipette_page, module_body
from tests.paths import copy_sample_data

MODULE_ID = "pipette-basics"
MODULE_FILE = f"data/modules/{MODULE_ID}.json"


@pytest.fixture
def loop(tmp_path: Path, notion_fake, github_fake, migrated_engine):
    """Notion with a Module Library, GitHub whose main holds one manual module, and a working tree like main's."""
    data = copy_sample_data(tmp_path / "work", ("first-pull-request",))
    github_fake.seed(data)
    _, data_source_id = notion_fake.add_module_library()
    settings = github_fake.settings(
        notion_token=notion_fake.token,
        notion_data_source_id=data_source_id,
        notion_base_url=notion_fake.base_url,
        notion_requests_per_second=200.0,
        notion_timeout_seconds=5.0,
        notion_retry_seconds=0.01,
        modules_dir=data / "modules",
        media_dir=tmp_path / "media",
    )
    return Loop(tmp_path, notion_fake, github_fake, migrated_engine, data_source_id, settings)


class Loop:
    def __init__(self, root, notion, github, engine, data_source_id, settings: Settings) -> None:
        self.root, self.notion, self.github, self.engine = root, notion, github, engine
        self.data_source_id, self.settings = data_source_id, settings

    def add_ready_page(self) -> str:
        return add_pipette_page(self.notion, self.data_source_id, MODULE_ID)

    def merge_and_deploy(self, number: int):
        """Merge the PR on GitHub, check main out as the deploy workflow would, deploy it."""
        sha = self.github.merge(number)
        checkout = self.github.checkout(self.root / f"deploy-{sha[:7]}", sha)
        settings = self.settings.with_overrides(modules_dir=checkout / "data" / "modules", source_commit=sha)
        return deploy(None, settings, engine=self.engine), sha


def _scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_notion_failing_during_writeback_keeps_the_task_and_a_rerun_delivers_it(loop: Loop):
    page_id = loop.add_ready_page()
    assert sync(loop.settings).ok
    [pr] = loop.github.pulls("open")
    loop.merge_and_deploy(pr["number"])

    # given Notion answers 503 to every page update for a while (beyond the client's retries)
    loop.notion.inject("status", status=503, count=20, route="pages.update")
    failed = write_back(loop.settings, engine=loop.engine)

    # then writeback reports the failure, keeps the task queued with its error, and Notion is unchanged
    assert not failed.ok
    assert "run writeback again" in failed.summary()
    assert loop.notion.property_of(page_id, "Status") == "Ready"
    assert _scalar(loop.engine, "SELECT attempts FROM notion_writeback WHERE module_id = :m", m=MODULE_ID) == 1
    assert loop.settings.notion_token not in (failed.summary() + "".join(o.line() for o in failed.outcomes))

    # when Notion recovers and writeback runs again, the page shows Live and nothing is left queued
    loop.notion.faults.clear()
    again = write_back(loop.settings, engine=loop.engine)
    assert again.ok, again.summary()
    assert loop.notion.property_of(page_id, "Status") == "Live"
    assert loop.notion.property_of(page_id, "GitHub Branch/PR") == pr["html_url"]
    assert _scalar(loop.engine, "SELECT count(*) FROM notion_writeback WHERE state = 'pending'") == 0


def test_a_page_deleted_after_deploy_is_reported_once_not_retried_and_can_be_requeued(loop: Loop):
    page_id = loop.add_ready_page()
    assert sync(loop.settings).ok
    [pr] = loop.github.pulls("open")
    loop.merge_and_deploy(pr["number"])

    # given the team lead deleted the page in Notion after the deploy (Notion answers 404 object_not_found)
    page = loop.notion.pages.pop(page_id)
    first = write_back(loop.settings, engine=loop.engine)

    # then this run reports it, once, with what to do, and closes the task
    assert not first.ok
    [gone] = [o for o in first.outcomes if o.outcome == "page gone"]
    assert gone.task.module_id == MODULE_ID
    assert f"python -m pipeline writeback --retry {MODULE_ID}" in gone.line()
    assert "Trash" in gone.line() and f"data/modules/{MODULE_ID}.json" in gone.line()
    assert "not retried" in first.summary()
    assert _scalar(loop.engine, "SELECT count(*) FROM notion_writeback WHERE state = 'pending'") == 0

    # when writeback runs again (the next deploy), it does not ask Notion again and reports nothing
    loop.notion.log.clear()
    again = write_back(loop.settings, engine=loop.engine)
    assert again.ok and again.outcomes == ()
    assert loop.notion.count(route="pages.update") == 0

    # when the page is restored and the operator asks for a retry, the next writeback delivers it
    loop.notion.pages[page_id] = page
    retried = retry_gone_writebacks(loop.settings, MODULE_ID, engine=loop.engine)
    assert retried.ok and "queued again: 1" in retried.lines()[0]
    delivered = write_back(loop.settings, engine=loop.engine)
    assert delivered.ok, delivered.summary()
    assert loop.notion.property_of(page_id, "Status") == "Live"
    assert not retry_gone_writebacks(loop.settings, MODULE_ID, engine=loop.engine).ok


def test_a_library_made_by_notion_init_with_a_select_status_goes_all_the_way_to_live(loop: Loop):
    # given a Notion that cannot create status columns, so `notion init` made Status a select
    loop.notion.status_creation_supported = False
    library = create_module_library(loop.settings, loop.notion.add_workspace_page())
    assert library.status_type == "select"
    loop.data_source_id = library.data_source_id
    loop.settings = loop.settings.with_overrides(notion_data_source_id=library.data_source_id)

    # when a page turns Ready, is exported, merged, deployed and written back
    page_id = loop.add_ready_page()
    assert sync(loop.settings).ok
    [pr] = loop.github.pulls("open")
    loop.merge_and_deploy(pr["number"])
    written = write_back(loop.settings, engine=loop.engine)

    # then the select column shows Live and the PR link, like a status column would
    assert written.ok, written.summary()
    assert loop.notion.data_sources[library.data_source_id]["properties"]["Status"]["type"] == "select"
    assert loop.notion.property_of(page_id, "Status") == "Live"
    assert loop.notion.property_of(page_id, "GitHub Branch/PR") == pr["html_url"]


def test_propose_by_hand_also_puts_the_pr_link_on_the_notion_page(loop: Loop):
    # given a page exported by hand into the working tree
    from pipeline.export import export_pages
    from pipeline.sync import propose_and_link

    page_id = loop.add_ready_page()
    assert export_pages(loop.settings).ok

    # when a developer runs propose with Notion configured
    report, links = propose_and_link(None, loop.settings)

    # then the new PR's link is on the page; the unchanged manual module gets no PR and no link
    [pr] = loop.github.pulls("open")
    assert [(r.module_id, r.action) for r in report.results] == [
        ("first-pull-request", "unchanged"),
        (MODULE_ID, "created"),
    ]
    assert [(link.page_id.replace("-", ""), link.error) for link in links] == [(page_id.replace("-", ""), None)]
    assert loop.notion.property_of(page_id, "GitHub Branch/PR") == pr["html_url"]


def test_a_deploy_of_a_commit_github_never_saw_still_goes_live_in_notion(loop: Loop, monkeypatch, capsys):
    from pipeline.cli import main

    # given the module was deployed from a local checkout whose commit was never pushed
    page_id = loop.add_ready_page()
    assert sync(loop.settings).ok
    [pr] = loop.github.pulls("open")
    sha = loop.github.merge(pr["number"])
    checkout = loop.github.checkout(loop.root / "local", sha)
    unpushed = "0123456789abcdef0123456789abcdef01234567"
    deploy(
        None,
        loop.settings.with_overrides(modules_dir=checkout / "data" / "modules", source_commit=unpushed),
        engine=loop.engine,
    )
    env = {
        "NOTION_TOKEN": loop.settings.notion_token,
        "NOTION_DATA_SOURCE_ID": loop.data_source_id,
        "NOTION_BASE_URL": loop.notion.base_url,
        "NOTION_REQUESTS_PER_SECOND": "200",
        "DATABASE_URL": loop.engine.url.render_as_string(hide_password=False),
        **loop.github.env(),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    # when writeback runs
    status = main(["writeback"])

    # then Notion shows Live (the content is live), nothing stays queued, and no run fails over the missing commit
    out = capsys.readouterr().out
    assert status == 0, out
    assert loop.notion.property_of(page_id, "Status") == "Live"
    assert _scalar(loop.engine, "SELECT count(*) FROM notion_writeback WHERE state = 'pending'") == 0


def test_a_page_moved_from_live_to_retired_is_retired_in_its_file_and_hidden_after_the_merge(loop: Loop):
    # given a module that went live
    page_id = loop.add_ready_page()
    assert sync(loop.settings).ok
    [first] = loop.github.pulls("open")
    loop.merge_and_deploy(first["number"])
    assert write_back(loop.settings, engine=loop.engine).ok
    assert loop.notion.property_of(page_id, "Status") == "Live"

    # when its team lead sets Status to Retired and the next export runs
    loop.notion.advance(minutes=5)
    loop.notion.set_property(page_id, "Status", "Retired")
    report = sync(loop.settings)

    # then the same module is proposed again, now `retired` in its file
    assert report.ok, "\n".join(report.lines())
    [pr] = loop.github.pulls("open")
    module = json.loads(loop.github.read_file(MODULE_FILE, f"notion/{MODULE_ID}"))
    assert module["status"] == "retired"

    # when it is merged and deployed: hidden from students, progress kept, and the page still says Retired
    loop.merge_and_deploy(pr["number"])
    written = write_back(loop.settings, engine=loop.engine)
    assert _scalar(loop.engine, "SELECT status FROM modules WHERE module_id = :m", m=MODULE_ID) == "retired"
    assert _scalar(loop.engine, "SELECT archived_at IS NOT NULL FROM modules WHERE module_id = :m", m=MODULE_ID)
    assert written.ok, written.summary()
    assert loop.notion.property_of(page_id, "Status") == "Retired"
    assert loop.notion.property_of(page_id, "GitHub Branch/PR") == pr["html_url"]


def test_a_retired_page_that_was_never_exported_is_left_alone(loop: Loop):
    page_id = add_module_page(loop.notion, loop.data_source_id, "old-draft", Status="Retired")

    report = sync(loop.settings)

    assert report.ok and report.export is not None and report.export.pages == ()
    assert loop.github.pulls("all") == [] and page_id not in loop.notion.comments


def test_what_export_left_out_is_on_the_page_and_in_the_pr_body(loop: Loop):
    # given a page with a sub-page in a section: exported as a link, with a warning
    sub_page = {"type": "child_page", "payload": {"title": "Calibration log"}, "children": []}
    page_id = add_module_page(
        loop.notion, loop.data_source_id, MODULE_ID, blocks=module_body("pipetting", extra=[sub_page])
    )

    report = sync(loop.settings)

    assert report.ok, "\n".join(report.lines())
    [pr] = loop.github.pulls("open")
    assert "### What the export left out or changed" in pr["body"]
    note = "section #2 'In practice', the block starting 'Calibration log': the sub-page 'Calibration log'"
    assert note in pr["body"]
    [comment] = loop.notion.comments[page_id]
    assert "the sub-page 'Calibration log' is not exported" in comment["rich_text"][0]["plain_text"]


def test_sync_in_a_working_tree_that_holds_the_last_export_writes_nothing_on_either_side(loop: Loop):
    # given a developer's working tree that kept the module file of the last sync (not a fresh checkout)
    loop.add_ready_page()
    assert sync(loop.settings).ok
    head = loop.github.head(f"notion/{MODULE_ID}")

    # when sync runs again with nothing edited in Notion
    loop.github.server.log.clear()
    loop.notion.clear_log()
    again = sync(loop.settings)

    # then no commit, no status, no PR edit, and no rewrite of the PR link on the page
    assert again.ok, "\n".join(again.lines())
    assert loop.github.head(f"notion/{MODULE_ID}") == head
    assert loop.github.writes() == []
    assert loop.notion.writes() == []
