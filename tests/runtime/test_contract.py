"""The contract: the OpenAPI document is valid, names exactly the app's routes, and the live server keeps it."""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pipeline.runtime.openapi import openapi_document
from tests.runtime.live import LiveServer, make_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(openapi_document())
    assert openapi_document()["openapi"] == "3.1.0"


def test_the_document_names_exactly_the_apps_routes(api: LiveServer) -> None:
    routes = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in api.app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("learner.")  # pages, not the API
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {(path, method) for path, item in openapi_document()["paths"].items() for method in item}
    assert documented == routes


def test_the_server_serves_the_document(api: LiveServer) -> None:
    with api.client(None) as client:
        assert client.get("/api/openapi.json").json() == openapi_document()


def test_the_live_server_keeps_its_contract(api: LiveServer) -> None:
    """schemathesis generates requests for every operation (a few examples each) against the live server."""
    headers = {"Authorization": f"Bearer {make_token('teacher', staff=True)}"}
    schema = schemathesis.openapi.from_dict(openapi_document())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in openapi_document()["paths"].values())
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case: Any) -> None:
            case.call_and_validate(base_url=api.base_url, headers=headers, checks=CHECKS)

        call()
