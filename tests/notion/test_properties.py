"""The Module Library's schema check names every missing or mistyped property."""

from __future__ import annotations

from pipeline.notion.properties import EXPECTED_PROPERTIES, check_data_source_schema, page_module_id
from tests.notion.builders import library_data_source, library_page
from tests.notion.recordings import load_recording


def test_module_library_shaped_data_source_passes() -> None:
    assert check_data_source_schema(library_data_source()) == []


def test_renamed_property_is_reported_by_name_with_the_fix() -> None:
    # given a data source where "Module ID" was renamed "module id" and "Estimated Minutes" deleted
    source = library_data_source()
    source["properties"]["module id"] = source["properties"].pop("Module ID")
    del source["properties"]["Estimated Minutes"]
    # when checked
    issues = check_data_source_schema(source)
    # then both are named, and the near-miss name is suggested
    by_name = {i.where: i.message for i in issues}
    assert set(by_name) == {"Module ID", "Estimated Minutes"}
    assert "rename it to 'Module ID'" in by_name["Module ID"]
    assert "type number" in by_name["Estimated Minutes"]


def test_mistyped_property_is_reported() -> None:
    source = library_data_source(**{"Estimated Minutes": {"id": "x", "name": "Estimated Minutes", "type": "rich_text"}})
    (issue,) = check_data_source_schema(source)
    assert issue.where == "Estimated Minutes" and "'rich_text'" in issue.message and "number" in issue.message


def test_status_without_live_option_is_reported() -> None:
    status = {"id": "s", "name": "Status", "type": "select", "select": {"options": [{"name": "Ready"}]}}
    (issue,) = check_data_source_schema(library_data_source(Status=status))
    assert issue.where == "Status" and "'Live'" in issue.message


def test_optional_properties_may_be_absent() -> None:
    optional = [name for name, expected in EXPECTED_PROPERTIES.items() if not expected.required]
    assert check_data_source_schema(library_data_source(**dict.fromkeys(optional))) == []


def test_recorded_unrelated_data_sources_miss_every_required_property() -> None:
    # given real data_sources.retrieve responses of databases that are not a Module Library
    recorded = [
        load_recording("notion_ruby_mapping__retrieve_data_source_data_source.json"),
        load_recording("notion-sdk-py__data_sources_retrieve_response.json")["response_body"],
    ]
    required = {name for name, expected in EXPECTED_PROPERTIES.items() if expected.required}
    for source in recorded:
        # when checked, then each required property is reported once, by name, against that data source
        issues = check_data_source_schema(source)
        assert sorted(i.where for i in issues) == sorted(required)
        assert {i.page_id for i in issues} == {source["id"]}


def test_module_id_of_related_pages_can_be_read_to_build_the_prerequisite_map() -> None:
    assert page_module_id(library_page()) == "equipment-tour"
    assert page_module_id(library_page(Module_ID="")) is None
    assert page_module_id(library_page(Module_ID=None)) is None
