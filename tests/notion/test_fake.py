"""The Notion fake behaves like Notion where the pipeline depends on it (shapes checked against the recordings)."""

from __future__ import annotations

import httpx

from tests.fakes import notion_blocks as b
from tests.fakes.notion_objects import recording
from tests.fakes.notion_server import NOTION_VERSION


def call(fake, method: str, path: str, *, version: str | None = NOTION_VERSION, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {fake.token}"}
    if version:
        headers["Notion-Version"] = version
    return httpx.request(method, fake.base_url + path, headers=headers, **kwargs)


def test_errors_have_notions_shape_and_the_version_header_is_required(notion_fake, library):
    missing = call(notion_fake, "GET", f"/v1/data_sources/{library.data_source_id}", version=None)
    unknown = call(notion_fake, "GET", "/v1/pages/00000000-0000-0000-0000-000000000000")

    assert missing.status_code == 400 and missing.json()["code"] == "missing_version"
    assert set(unknown.json()) == set(recording("retrieve_block_unpermitted_block.json"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "object_not_found"


def test_page_size_over_100_is_refused(notion_fake, library):
    response = call(notion_fake, "POST", f"/v1/data_sources/{library.data_source_id}/query", json={"page_size": 101})

    assert response.status_code == 400 and response.json()["code"] == "validation_error"


def test_pages_match_the_recorded_shape_and_edits_move_the_minute(notion_fake, library):
    page_id = notion_fake.add_page(library.data_source_id, {"Module Name": "A"}, [b.paragraph("hello")])
    before = call(notion_fake, "GET", f"/v1/pages/{page_id}").json()

    notion_fake.edit_block(notion_fake.page_blocks(page_id)[0], "changed")
    after = call(notion_fake, "GET", f"/v1/pages/{page_id}").json()

    recorded = recording("query_data_source_limit_2.json")["results"][0]
    assert set(before) - {"request_id"} == set(recorded)
    assert after["last_edited_time"] > before["last_edited_time"]
    assert after["last_edited_time"].endswith(":00.000Z")


def test_an_expired_file_url_answers_like_s3(notion_fake, library):
    page_id = notion_fake.add_page(
        library.data_source_id,
        {"Module Name": "A"},
        [b.hosted_file("image", b"\x89PNG\r\n\x1a\n", "a.png", "image/png")],
    )
    block = call(notion_fake, "GET", f"/v1/blocks/{page_id}/children").json()["results"][0]
    notion_fake.expire_files()

    response = httpx.get(block["image"]["file"]["url"])

    assert set(block["image"]["file"]) == {"url", "expiry_time"}
    assert response.status_code == 403 and "<Code>AccessDenied</Code>" in response.text


def test_the_rate_limit_answers_429_with_retry_after(notion_fake, library):
    notion_fake.rate_limit(1, burst=1)

    answers = [call(notion_fake, "GET", f"/v1/data_sources/{library.data_source_id}") for _ in range(3)]

    limited = [a for a in answers if a.status_code == 429]
    assert limited and limited[0].json()["code"] == "rate_limited" and int(limited[0].headers["Retry-After"]) >= 1
