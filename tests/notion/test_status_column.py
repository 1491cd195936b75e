"""A Status column may be a `status` or a `select` column; Notion's query filters are typed by the column."""

from __future__ import annotations

import pytest
from notion_client import APIResponseError, Client

from pipeline.export import export_pages
from pipeline.notion.properties import status_filter
from tests.fakes import notion_objects as obj
from tests.notion.pages import add_module_page


@pytest.fixture
def select_library(notion_fake, library):
    """The Module Library with Status as a select column (as many existing databases have it)."""
    schema = {**obj.MODULE_LIBRARY_SCHEMA, "Status": ("select", obj.STATUS_OPTIONS)}
    _, data_source_id = notion_fake.add_module_library(schema=schema)
    library.data_source_id = data_source_id
    library.settings = library.settings.with_overrides(notion_data_source_id=data_source_id)
    return library


def test_the_fake_refuses_a_status_filter_on_a_select_column_as_notion_does(notion_fake, select_library):
    client = Client(auth=notion_fake.token, base_url=notion_fake.base_url)
    with pytest.raises(APIResponseError) as refused:
        client.data_sources.query(
            select_library.data_source_id, filter={"property": "Status", "status": {"equals": "Ready"}}
        )
    assert refused.value.status == 400 and refused.value.code == "validation_error"


def test_export_queries_a_select_status_column_with_a_select_filter(notion_fake, select_library):
    add_module_page(notion_fake, select_library.data_source_id, "select-ready")
    add_module_page(notion_fake, select_library.data_source_id, "select-draft", Status="Draft")

    report = export_pages(select_library.settings)

    assert report.ok, "\n".join(str(p) for p in report.pages)
    assert [p.module_id for p in report.pages] == ["select-ready"]
    assert (select_library.settings.modules_dir / "select-ready.json").is_file()


def test_one_filter_names_several_statuses_in_the_columns_own_type():
    assert status_filter("status", ["Ready"]) == {"property": "Status", "status": {"equals": "Ready"}}
    assert status_filter("select", ["Ready", "Retired"]) == {
        "or": [
            {"property": "Status", "select": {"equals": "Ready"}},
            {"property": "Status", "select": {"equals": "Retired"}},
        ]
    }
    with pytest.raises(ValueError):
        status_filter("rich_text", ["Ready"])
