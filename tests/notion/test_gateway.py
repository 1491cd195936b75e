"""NotionGateway against the fake over real HTTP: pagination, trees, retries, pacing and errors."""

from __future__ import annotations

import dataclasses
import time

import pytest

from pipeline.errors import NotionError
from pipeline.notion.client import ExpiredFileURL, NotionGateway, is_transient
from tests.fakes import notion_blocks as b

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def gateway(library, **changes) -> NotionGateway:
    return NotionGateway(dataclasses.replace(library.settings, **changes), backoff_seconds=0.01)


def test_query_pages_follows_cursors_past_100_pages(notion_fake, library):
    for n in range(130):
        notion_fake.add_page(library.data_source_id, {"Module Name": f"M{n}", "Status": "Ready"})
    notion_fake.add_page(library.data_source_id, {"Module Name": "draft", "Status": "Draft"})

    with gateway(library) as notion:
        pages = list(notion.query_pages(status="Ready"))

    assert len(pages) == 130
    assert notion_fake.count("data_sources.query") == 2


def test_database_id_is_resolved_to_its_data_source(notion_fake, library):
    notion_fake.add_page(library.data_source_id, {"Module Name": "A", "Status": "Ready"})

    with gateway(library, notion_data_source_id=None, notion_database_id=library.database_id) as notion:
        pages = list(notion.query_pages())

    assert notion.data_source_id == library.data_source_id
    assert len(pages) == 1


def test_block_tree_attaches_children_and_reads_synced_originals(notion_fake, library):
    page = notion_fake.add_page(
        library.data_source_id,
        {"Module Name": "A"},
        [
            b.synced_original([b.paragraph("shared text")], key="s"),
            b.bulleted("outer", [b.bulleted("inner", [b.bulleted("innermost")])]),
            b.synced_reference("s"),
            *[b.paragraph(f"p{n}") for n in range(120)],
        ],
    )

    with gateway(library) as notion:
        tree = notion.fetch_block_tree(page)

    assert len(tree) == 123
    assert tree[1]["children"][0]["children"][0]["bulleted_list_item"]["rich_text"][0]["plain_text"] == "innermost"
    assert tree[2]["children"][0]["paragraph"]["rich_text"][0]["plain_text"] == "shared text"
    assert "children" not in tree[3]


def test_pacing_keeps_under_notions_limit_without_a_single_429(notion_fake, library):
    page = notion_fake.add_page(library.data_source_id, {"Module Name": "A"})
    notion_fake.rate_limit(10, burst=2)

    with gateway(library, notion_requests_per_second=9.0) as notion:
        for _ in range(12):
            notion.retrieve_page(page)

    assert notion_fake.count(status=429) == 0


def test_a_429_storm_is_waited_out_obeying_retry_after(notion_fake, library):
    page = notion_fake.add_page(library.data_source_id, {"Module Name": "A"})
    notion_fake.inject("status", status=429, count=2, route="pages.retrieve")

    started = time.monotonic()
    with gateway(library) as notion:
        assert notion.retrieve_page(page)["id"] == page

    assert notion_fake.count("pages.retrieve", status=429) == 2
    assert time.monotonic() - started >= 2.0  # Retry-After: 1, twice


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "drop"},
        {"kind": "status", "status": 502},
        {"kind": "status", "status": 500},
        {"kind": "status", "status": 503},
        {"kind": "status", "status": 529},
    ],
)
def test_transient_failures_of_a_query_are_retried(notion_fake, library, fault):
    notion_fake.add_page(library.data_source_id, {"Module Name": "A", "Status": "Ready"})
    notion_fake.inject(route="data_sources.query", count=2, **fault)

    with gateway(library) as notion:
        assert len(list(notion.query_pages())) == 1

    assert notion_fake.count("data_sources.query") == 3


def test_a_timeout_that_persists_becomes_a_notion_error_naming_the_page(notion_fake, library):
    page = notion_fake.add_page(library.data_source_id, {"Module Name": "A"})
    notion_fake.inject("slow", seconds=1.5, count=10, route="blocks.children.list")

    with gateway(library, notion_timeout_seconds=0.5) as notion:
        notion.attempts = 2
        with pytest.raises(NotionError) as caught:
            notion.fetch_block_tree(page)

    assert caught.value.code == "timeout"
    assert page in str(caught.value)


def test_errors_carry_notions_code_and_never_the_token(notion_fake, library):
    with gateway(library, notion_token="secret_wrong_token_123456") as notion, pytest.raises(NotionError) as caught:
        list(notion.query_pages())

    assert caught.value.code == "unauthorized"
    assert "NOTION_TOKEN" in str(caught.value)
    assert "secret_wrong_token_123456" not in str(caught.value)


def test_writeback_properties_are_set_like_notion_and_unknown_status_is_refused(notion_fake, library):
    page = notion_fake.add_page(library.data_source_id, {"Module Name": "A", "Status": "Ready"})

    with gateway(library) as notion:
        notion.update_page_properties(
            page,
            {
                "Status": {"status": {"name": "Live"}},
                "GitHub Branch/PR": {"url": "https://github.com/o/r/pull/7"},
                "Last Updated": {"date": {"start": "2026-11-26"}},
            },
        )
        with pytest.raises(NotionError) as caught:
            notion.update_page_properties(page, {"Status": {"status": {"name": "Shipped"}}})

    assert notion_fake.property_of(page, "Status") == "Live"
    assert notion_fake.property_of(page, "GitHub Branch/PR") == "https://github.com/o/r/pull/7"
    assert notion_fake.property_of(page, "Last Updated") == "2026-11-26"
    assert caught.value.code == "validation_error" and caught.value.status == 400


def test_relations_beyond_25_are_read_from_the_property_endpoint(notion_fake, library):
    others = [notion_fake.add_page(library.data_source_id, {"Module Name": f"P{n}"}) for n in range(30)]
    page = notion_fake.add_page(library.data_source_id, {"Module Name": "A", "Prerequisites": others})

    with gateway(library) as notion:
        shown = notion.retrieve_page(page)["properties"]["Prerequisites"]
        ids = notion.relation_ids(page, shown["id"])

    assert len(shown["relation"]) == 25 and shown["has_more"] is True
    assert ids == others


def test_an_expired_file_url_answers_403_and_the_block_gives_a_fresh_one(notion_fake, library):
    page = notion_fake.add_page(
        library.data_source_id, {"Module Name": "A"}, [b.hosted_file("image", PNG, "lab.png", "image/png")]
    )
    with gateway(library) as notion:
        block = notion.fetch_block_tree(page)[0]
        notion_fake.expire_files()
        with pytest.raises(ExpiredFileURL):
            notion.download(block["image"]["file"]["url"])
        fresh = notion.retrieve_block(block["id"])
        assert notion.download(fresh["image"]["file"]["url"]).content == PNG


def test_a_lasting_529_is_named_as_notions_overload_by_its_status(notion_fake, library):
    # given Notion answers 529 service_overload for longer than the retries last (notion-client does not know
    # that code, so it arrives as a generic response error)
    notion_fake.inject(route="data_sources.query", count=50, kind="status", status=529)

    with gateway(library) as notion, pytest.raises(NotionError) as caught:
        list(notion.query_pages())

    assert caught.value.code == "service_overload" and caught.value.status == 529
    assert "overloaded" in str(caught.value) and "529" in str(caught.value)
    assert "notionhq_client_response_error" not in str(caught.value)
    assert is_transient(caught.value)
