"""`python -m pipeline notion init`: the Module Library created through the API, then accepted by `notion check`."""

from __future__ import annotations

import re

import httpx
import pytest

from pipeline.cli import main
from pipeline.errors import ConfigError
from pipeline.export import export_pages
from pipeline.notion.check import check_module_library
from pipeline.notion.library import create_module_library
from pipeline.settings import Settings
from tests.notion.pages import add_module_page
from tests.notion.recordings import load_recording


@pytest.fixture
def init_env(monkeypatch, notion_fake, module_tree):
    """An operator's environment before the library exists: the token and the API root only."""
    for name in ("NOTION_DATA_SOURCE_ID", "NOTION_DATABASE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOTION_TOKEN", notion_fake.token)
    monkeypatch.setenv("NOTION_BASE_URL", notion_fake.base_url)
    monkeypatch.setenv("NOTION_RETRY_SECONDS", "0.01")
    monkeypatch.setenv("MODULES_DIR", str(module_tree))
    return monkeypatch


def _settings(notion_fake, module_tree, data_source_id: str | None = None) -> Settings:
    return Settings(
        notion_token=notion_fake.token,
        notion_base_url=notion_fake.base_url,
        notion_data_source_id=data_source_id,
        modules_dir=module_tree,
        notion_requests_per_second=200.0,
        notion_retry_seconds=0.01,
    )


def test_notion_init_creates_a_library_that_notion_check_accepts(notion_fake, init_env, capsys):
    # given a page in the workspace shared with the integration
    parent = notion_fake.add_workspace_page("Teams")

    # when the operator creates the library under it (the page URL's id, without dashes)
    assert main(["notion", "init", "--parent", parent.replace("-", "")]) == 0

    # then the output names the data source id to set, and `notion check` with it passes
    out = capsys.readouterr().out
    [data_source_id] = re.findall(r"NOTION_DATA_SOURCE_ID=([0-9a-f-]{36})", out)
    assert "Status is a status with the options Draft, Ready, Live, Retired" in out
    init_env.setenv("NOTION_DATA_SOURCE_ID", data_source_id)
    assert main(["notion", "check"]) == 0, capsys.readouterr().out
    assert "has every property the export reads" in capsys.readouterr().out

    # and the database sits in the parent page, with its Prerequisites relating to the library itself
    [database] = notion_fake.databases.values()
    assert database["parent"] == {"type": "page_id", "page_id": parent}
    assert database["data_sources"] == [{"id": data_source_id, "name": "Module Library"}]
    schema = notion_fake.data_sources[data_source_id]["properties"]
    assert schema["Prerequisites"]["relation"]["data_source_id"] == data_source_id
    assert [o["name"] for o in schema["Status"]["status"]["options"]] == ["Draft", "Ready", "Live", "Retired"]
    assert notion_fake.counters() == {
        "blocks.children.list": 1,
        "databases.create": 1,
        "data_sources.update": 1,
        "data_sources.retrieve": 1,  # notion check
    }


def test_where_notion_cannot_create_a_status_column_status_is_a_select_that_exports(
    notion_fake, module_tree, init_env, capsys
):
    # given a Notion that answers 400 validation_error to a status property in a new schema (before 2026-03-19)
    notion_fake.status_creation_supported = False
    parent = notion_fake.add_workspace_page()

    # when the library is created
    report = create_module_library(_settings(notion_fake, module_tree), parent)

    # then Status is a select with the same options, notion check accepts it, and a Ready page exports
    assert report.status_type == "select"
    assert any("Status is a select" in line for line in report.lines())
    settings = _settings(notion_fake, module_tree, report.data_source_id)
    assert check_module_library(settings).ok
    add_module_page(notion_fake, report.data_source_id, "pipette-basics")
    exported = export_pages(settings)
    assert exported.ok, exported.summary()
    assert (module_tree / "pipette-basics.json").is_file()


def test_init_refuses_a_second_library_in_the_same_page(notion_fake, module_tree):
    parent = notion_fake.add_workspace_page()
    first = create_module_library(_settings(notion_fake, module_tree), parent)

    with pytest.raises(ConfigError) as refused:
        create_module_library(_settings(notion_fake, module_tree), parent)

    assert f"NOTION_DATABASE_ID={first.database_id.replace('-', '')}" in str(refused.value)
    assert len(notion_fake.databases) == 1


def test_when_the_second_request_fails_the_message_says_what_exists_and_how_to_finish(notion_fake, init_env, capsys):
    # given Notion failing every data source update (beyond the client's retries) after the create succeeded
    parent = notion_fake.add_workspace_page()
    notion_fake.inject("status", status=503, count=20, route="data_sources.update")

    code = main(["notion", "init", "--parent", parent])

    err = capsys.readouterr().err
    [data_source_id] = [ds for ds in notion_fake.data_sources]
    assert code == 1 and "Traceback" not in err
    assert "created the Module Library" in err and "could not add its Prerequisites column" in err
    assert f"NOTION_DATA_SOURCE_ID={data_source_id}" in err


def test_init_under_a_page_not_shared_with_the_integration_says_to_share_it(notion_fake, init_env, capsys):
    code = main(["notion", "init", "--parent", "https://www.notion.so/acme/Teams-" + "ab" * 16 + "?pvs=4"])

    err = capsys.readouterr().err
    assert code == 1
    assert "object_not_found" in err and "Connections" in err and "Traceback" not in err


def test_init_with_something_that_is_not_a_page_id_is_a_usage_error(notion_fake, init_env, capsys):
    assert main(["notion", "init", "--parent", "Teams"]) == 2
    assert "32 hexadecimal digits" in capsys.readouterr().err


# --- the fake's POST /v1/databases, against Notion's recorded request and answer ---


def _post(notion_fake, path: str, body: dict, method: str = "POST") -> httpx.Response:
    headers = {"Authorization": f"Bearer {notion_fake.token}", "Notion-Version": "2025-09-03"}
    return httpx.request(method, notion_fake.base_url + path, json=body, headers=headers)


def test_the_fake_accepts_the_recorded_create_request_and_answers_in_the_recorded_shape(notion_fake):
    # given the request a real integration sent (with its relation pointed at a data source the fake holds)
    _, related = notion_fake.add_module_library()
    recorded = load_recording("create_database_from_page.request.json")["request_body"]
    recorded["parent"]["page_id"] = notion_fake.add_workspace_page()
    recorded["initial_data_source"]["properties"]["Relation"]["relation"]["data_source_id"] = related

    answer = _post(notion_fake, "/v1/databases", recorded)

    assert answer.status_code == 200, answer.text
    body, real = answer.json(), load_recording("create_database_from_page.json")
    assert set(real) - {"request_id", "icon"} <= set(body)
    assert body["object"] == "database" and [set(s) for s in body["data_sources"]] == [{"id", "name"}]
    created = notion_fake.data_sources[body["data_sources"][0]["id"]]["properties"]
    assert set(created) == set(recorded["initial_data_source"]["properties"])
    assert created["Select"]["select"]["options"][0]["name"] == "S1"


@pytest.mark.parametrize(
    ("properties", "complaint"),
    [
        ({"Name": {"title": {}}, "Count": {"number": {}, "url": {}}}, "exactly one property type"),
        ({"Name": {"title": {}}, "Kind": {"selct": {}}}, "exactly one property type"),
        ({"Count": {"number": {}}}, "exactly one title property"),
        ({"Name": {"title": {}}, "Other": {"title": {}}}, "exactly one title property"),
        ({"Name": {"title": {}}, "Kind": {"select": {"options": [{"name": "a,b"}]}}}, "cannot contain commas"),
        ({"Name": {"title": {}}, "Kind": {"select": {"options": [{"name": "a", "color": "teal"}]}}}, "color"),
        ({"Name": {"title": {}}, "Kind": {"select": {"options": [{"name": "a"}, {"name": "a"}]}}}, "twice"),
        ({"Name": {"title": {}}, "Link": {"relation": {"single_property": {}}}}, "data_source_id"),
    ],
)
def test_the_fake_refuses_a_bad_schema_with_a_validation_error(notion_fake, properties, complaint):
    parent = notion_fake.add_workspace_page()
    body = {"parent": {"type": "page_id", "page_id": parent}, "initial_data_source": {"properties": properties}}

    answer = _post(notion_fake, "/v1/databases", body)

    assert answer.status_code == 400
    assert answer.json()["code"] == "validation_error" and complaint in answer.json()["message"]
    assert notion_fake.databases == {}


def test_the_fake_adds_properties_to_a_data_source_as_recorded(notion_fake):
    _, data_source_id = notion_fake.add_module_library()
    recorded = load_recording("update_data_source_add_property.json")
    request = {
        "properties": {"added number property": {"number": {"format": "euro"}}, "added url property": {"url": {}}}
    }

    answer = _post(notion_fake, f"/v1/data_sources/{data_source_id}", request, method="PATCH")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(recorded) - {"request_id", "icon", "cover"} <= set(body)
    assert body["properties"]["added number property"]["number"] == {"format": "euro"}
    assert body["properties"]["added url property"]["type"] == "url"
