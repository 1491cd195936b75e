"""The integration's own writes (the PR link, Status) never count as edits: such pages are not read again."""

from __future__ import annotations

from notion_client import Client

from pipeline.export import export_pages
from pipeline.notion.client import NotionGateway
from tests.notion.pages import add_module_page

LINK = "https://github.com/owner/frames/pull/7"


def test_the_fakes_own_writes_carry_the_bot_user_that_users_me_names(notion_fake, library):
    page = add_module_page(notion_fake, library.data_source_id, "own-writes")
    client = Client(auth=notion_fake.token, base_url=notion_fake.base_url)
    me = client.users.me()
    assert me["type"] == "bot" and me["object"] == "user"
    assert client.pages.retrieve(page)["last_edited_by"]["id"] != me["id"]

    updated = client.pages.update(page, properties={"GitHub Branch/PR": {"url": LINK}})

    assert updated["last_edited_by"]["id"] == me["id"]


def test_a_page_whose_only_change_is_the_integrations_own_write_is_not_read_again(notion_fake, library):
    # given an exported page on which the integration then wrote the PR link (which moves last_edited_time)
    page = add_module_page(notion_fake, library.data_source_id, "own-writes")
    assert export_pages(library.settings).ok
    notion_fake.advance(minutes=2)
    with NotionGateway(library.settings) as gateway:
        gateway.update_page_properties(page, {"GitHub Branch/PR": {"url": LINK}})
    notion_fake.clear_log()

    # when the next export runs
    report = export_pages(library.settings)

    # then the page is skipped without reading its blocks
    assert [p.outcome for p in report.pages] == ["skipped"]
    assert notion_fake.count("blocks.children.list") == 0


def test_a_persons_edit_after_the_integrations_write_is_read(notion_fake, library):
    page = add_module_page(notion_fake, library.data_source_id, "own-writes")
    export_pages(library.settings)
    notion_fake.advance(minutes=2)
    with NotionGateway(library.settings) as gateway:
        gateway.update_page_properties(page, {"GitHub Branch/PR": {"url": LINK}})

    # when a team lead edits the page after that write
    notion_fake.advance(minutes=2)
    paragraph = next(i for i in notion_fake.page_blocks(page) if notion_fake.blocks[i]["type"] == "paragraph")
    notion_fake.edit_block(paragraph, "A person's edit.")
    report = export_pages(library.settings)

    # then the page is read and its new content written
    assert [p.outcome for p in report.pages] == ["written"]
