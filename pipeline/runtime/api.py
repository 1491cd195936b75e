"""The routes of /api/v1: each parses the request, asks one function of the package, and answers JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from pipeline.module.document import unstorable_text
from pipeline.runtime.assignments import assign, list_assignments, parse_assignment, unassign
from pipeline.runtime.attempts import submit_attempt
from pipeline.runtime.auth import Principal
from pipeline.runtime.catalogue import list_modules, parse_catalogue_query
from pipeline.runtime.content import Fields, fetch_module
from pipeline.runtime.errors import ApiError, unprocessable
from pipeline.runtime.events import parse_batch, store_events
from pipeline.runtime.grading import parse_attempt
from pipeline.runtime.markdown import parse_texts, render_texts
from pipeline.runtime.openapi import openapi_document
from pipeline.runtime.progress import module_stats, parse_progress, read_module_progress, record_progress
from pipeline.runtime.state import runtime_state
from pipeline.runtime.storable import BodyRefused, parse_body
from pipeline.runtime.wire import dumps

api = Blueprint("runtime_api", __name__)
MODULE_CACHE_CONTROL = "private, no-cache"  # always revalidate: the ETag makes that cheap


def _principal() -> Principal:
    return runtime_state().verifier.principal(request.headers.get("Authorization"))


def _staff() -> Principal:
    principal = _principal()
    if not principal.staff:
        raise ApiError(403, "forbidden", 'this needs a staff token (roles: ["staff"])')
    return principal


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status=status, mimetype="application/json", headers=headers)


def _body(*, text_checked_here: bool = True) -> Any:
    """The request's JSON body; text the database cannot store is a 422 here, unless the route checks it per item."""
    if not request.get_data(cache=True):
        return None
    try:
        body = parse_body(request.get_data(cache=True))
    except BodyRefused as exc:
        raise ApiError(400, "invalid_json", str(exc)) from None
    unstorable = unstorable_text(body) if text_checked_here else None
    if unstorable:  # "\u0000" or a lone "\ud800" parses as JSON, and then fails in the database
        pointer, message = unstorable
        raise unprocessable(f"the body at {pointer or '/'}: {message}")
    return body


def _student(student_id: str) -> str:
    """A student id from the URL (staff routes), refused before it reaches the database if it cannot be stored."""
    unstorable = unstorable_text(student_id)
    if unstorable:
        raise unprocessable(f"student_id: {unstorable[1]}")
    return student_id


@api.get("/api/openapi.json")
def openapi() -> Response:
    return _json(openapi_document())


@api.get("/api/v1/modules")
def modules() -> Response:
    principal = _principal()
    query = parse_catalogue_query(request.args)
    found, more = list_modules(runtime_state().engine, principal, query)
    headers: dict[str, str] = {}
    next_url = None
    if more:
        next_url = f"{request.base_url}?{urlencode(query.next_parameters(found[-1]['module_id']))}"
        headers["Link"] = f'<{next_url}>; rel="next"'
    return _json({"modules": found, "next": next_url}, headers=headers)


@api.get("/api/v1/modules/<module_id>")
def module(module_id: str) -> Response:
    principal = _principal()
    fields_arg = request.args.get("fields", "full")
    include = request.args.get("include")
    if (
        fields_arg not in ("full", "outline")
        or include not in (None, "answers")
        or set(request.args) - {"fields", "include", "arm"}
    ):
        raise ApiError(
            422,
            "invalid_request",
            "the query parameters are fields=outline (or full) and, for staff, include=answers and arm=ARM",
        )
    if include and not principal.staff:
        raise ApiError(403, "forbidden", 'include=answers needs a staff token (roles: ["staff"])')
    fields: Fields = "outline" if fields_arg == "outline" else "full"
    state = runtime_state()
    answer = fetch_module(
        state.engine,
        state.cache,
        module_id,
        principal,
        fields,
        request.headers.get("If-None-Match", ""),
        request.args.get("arm"),
        with_answers=include == "answers",
    )
    headers = {"ETag": answer.etag, "Cache-Control": MODULE_CACHE_CONTROL, "Vary": "Authorization"}
    if answer.body is None:
        return Response(status=304, headers=headers)
    return Response(answer.body, mimetype="application/json", headers=headers)


@api.get("/api/v1/modules/<module_id>/stats")
def stats(module_id: str) -> Response:
    _staff()
    return _json(module_stats(runtime_state().engine, module_id))


@api.get("/api/v1/me/modules/<module_id>/progress")
def my_progress(module_id: str) -> Response:
    principal = _principal()
    return _json(read_module_progress(runtime_state().engine, principal, principal.student_id, module_id))


@api.put("/api/v1/me/modules/<module_id>/sections/<section_id>/progress")
def put_progress(module_id: str, section_id: str) -> Response:
    principal = _principal()
    state, score = parse_progress(_body())
    return _json(record_progress(runtime_state().engine, principal, module_id, section_id, state, score))


@api.post("/api/v1/me/modules/<module_id>/sections/<section_id>/attempts")
def post_attempt(module_id: str, section_id: str) -> Response:
    principal = _principal()
    attempt = parse_attempt(_body())
    answer, created = submit_attempt(runtime_state().engine, principal, module_id, section_id, attempt)
    return _json(answer, status=201 if created else 200)


@api.get("/api/v1/me/assignments")
def my_assignments() -> Response:
    principal = _principal()
    return _json({"assignments": list_assignments(runtime_state().engine, principal.student_id)})


@api.get("/api/v1/students/<student_id>/modules/<module_id>/progress")
def student_progress(student_id: str, module_id: str) -> Response:
    staff = _staff()
    return _json(read_module_progress(runtime_state().engine, staff, _student(student_id), module_id))


@api.get("/api/v1/students/<student_id>/assignments")
def student_assignments(student_id: str) -> Response:
    _staff()
    return _json({"assignments": list_assignments(runtime_state().engine, _student(student_id))})


@api.put("/api/v1/students/<student_id>/assignments/<module_id>")
def put_assignment(student_id: str, module_id: str) -> Response:
    staff = _staff()
    due_at = parse_assignment(_body())
    done = assign(runtime_state().engine, staff.student_id, _student(student_id), module_id, due_at)
    created = done.pop("created")
    return _json(done, status=201 if created else 200)


@api.delete("/api/v1/students/<student_id>/assignments/<module_id>")
def delete_assignment(student_id: str, module_id: str) -> Response:
    _staff()
    unassign(runtime_state().engine, _student(student_id), module_id)
    return Response(status=204)


@api.post("/api/v1/events")
def events() -> Response:
    principal = _principal()
    batch, rejected = parse_batch(_body(text_checked_here=False), datetime.now(UTC))
    outcome = store_events(runtime_state().engine, principal, batch)
    outcome["rejected"] = rejected + outcome["rejected"]
    return _json(outcome)


@api.post("/api/v1/markdown")
def markdown() -> Response:
    _principal()
    return _json({"html": render_texts(parse_texts(_body()))})
