"""The API's OpenAPI 3.1 document, served at /api/openapi.json; tests hold it equal to the app's routes."""

from __future__ import annotations

from functools import cache
from typing import Any

from pipeline.runtime.catalogue import MAX_PAGE
from pipeline.runtime.events import MAX_EVENTS, VERB_IRIS, VERBS
from pipeline.runtime.grading import MAX_DURATION_MS
from pipeline.runtime.markdown import MAX_TEXTS

_ID = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 64}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_NULLABLE_TEXT = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


_SCHEMAS: dict[str, Any] = {
    "Error": _object({"error": {"type": "string", "description": "a stable code"}, "message": {"type": "string"}}),
    "ModuleSummary": _object(
        {
            "module_id": _ID,
            "title": {"type": "string"},
            "description": {"type": "string"},
            "category": {"type": "string"},
            "estimated_minutes": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "university_id": {"type": "string"},
            "cohort": _NULLABLE_TEXT,
            "revision": {"type": "integer", "minimum": 1},
            "state": {"enum": ["locked", "available", "started", "completed"]},
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "assigned": {"type": "boolean"},
            "due_at": _TIME,
            "prerequisites": {"type": "array", "items": {"type": "string"}},
            "missing_prerequisites": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "ModuleList": _object(
        {
            "modules": {"type": "array", "items": _ref("ModuleSummary")},
            "next": {"type": ["string", "null"], "description": "the next page, also in the Link header"},
        }
    ),
    "Section": {
        "type": "object",
        "properties": {
            "section_id": {"type": "string"},
            "section_number": {"type": "integer", "minimum": 1},
            "section_type": {"enum": ["text", "video", "image", "interactive", "quiz"]},
            "title": {"type": "string"},
            "content": {},
            "media_url": _NULLABLE_TEXT,
            "duration_seconds": {"type": ["integer", "null"]},
            "media": {"oneOf": [_ref("Media"), {"type": "null"}]},
            "images": {"type": "array", "items": _ref("Media"), "description": "the Markdown's stored images"},
        },
        "required": ["section_id", "section_number", "section_type", "title"],
    },
    # docs/media.md: URLs on MEDIA_BASE_URL (or this server's /media/), immutable; variants for srcset.
    "Media": _object(
        {
            "url": {"type": "string"},
            "type": {"type": "string"},
            "width": {"type": ["integer", "null"]},
            "height": {"type": ["integer", "null"]},
            "alt": _NULLABLE_TEXT,
            "variants": {
                "type": "array",
                "items": _object({"url": {"type": "string"}, "width": {"type": "integer"}, "type": {"type": "string"}}),
            },
            "placeholder": {"type": ["string", "null"], "description": "a tiny data: URL to show while loading"},
            "poster": {"type": ["string", "null"], "description": "a video's first frame (JPEG)"},
        }
    ),
    "Module": {
        "type": "object",
        "description": "the module's fields as in its file, in the student view (no quiz key, no required "
        "hotspots; see docs/runtime-api.md); `fields=outline` keeps ids, titles and types only; staff with "
        "`include=answers` get the file's content with its key and `content_hash`",
        "properties": {
            "module_id": _ID,
            "title": {"type": "string"},
            "revision": {"type": "integer", "minimum": 1},
            "content_hash": {"type": "string", "description": "staff with include=answers only"},
            "sections": {"type": "array", "items": _ref("Section")},
        },
        "required": ["module_id", "title", "revision", "sections"],
    },
    "ProgressUpdate": {
        "type": "object",
        "properties": {
            "state": {"enum": ["started", "completed"]},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
        },
        "required": ["state"],
        "additionalProperties": False,
    },
    "AttemptSubmission": {
        "description": "answers (a quiz: question_id → choice index from 0) or hotspots (an interactive section)",
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "client_attempt_id": {"type": "string", "format": "uuid"},
                    "revision": {"type": "integer", "minimum": 1},
                    "answers": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                        "minProperties": 1,
                    },
                    "duration_ms": {"type": "integer", "minimum": 0, "maximum": MAX_DURATION_MS},
                },
                "required": ["client_attempt_id", "revision", "answers"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "client_attempt_id": {"type": "string", "format": "uuid"},
                    "revision": {"type": "integer", "minimum": 1},
                    "hotspots": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "duration_ms": {"type": "integer", "minimum": 0, "maximum": MAX_DURATION_MS},
                },
                "required": ["client_attempt_id", "revision", "hotspots"],
                "additionalProperties": False,
            },
        ],
        "examples": [
            {
                "client_attempt_id": "0b9f6c1e-3d1a-4f7e-9a52-1c2d3e4f5a6b",
                "revision": 1,
                "answers": {"q1": 1, "q2": 0},
            }
        ],
    },
    "AttemptResult": {
        "type": "object",
        "properties": {
            "module_id": _ID,
            "section_id": {"type": "string"},
            "revision": {"type": "integer", "minimum": 1, "description": "the revision it was graded against"},
            "attempt": {"type": "integer", "minimum": 1},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "passed": {"type": "boolean"},
            "questions": {
                "type": "array",
                "description": "per question (quiz) or per clicked hotspot (interactive)",
                "items": {
                    "type": "object",
                    "properties": {
                        "question_id": {"type": "string"},
                        "hotspot_id": {"type": "string"},
                        "correct": {"type": "boolean"},
                        "answered": {"type": "boolean"},
                        "choice": {"type": "integer"},
                        "explanation": {"type": "string", "description": "only for an answered question"},
                        "revealed_choice": {
                            "type": "integer",
                            "description": "only when the quiz reveals answers and this one was answered wrong",
                        },
                    },
                    "required": ["correct"],
                },
            },
            "attempts_left": {"type": ["integer", "null"], "description": "null: the quiz has no max_attempts"},
            "progress": {
                "type": "object",
                "properties": {
                    "state": {"enum": ["not_started", "started", "completed"]},
                    "score": {"type": ["integer", "null"]},
                    "completed_at": _TIME,
                    "changed_since_completion": {"type": "boolean"},
                },
                "required": ["state", "score", "completed_at", "changed_since_completion"],
            },
        },
        "required": ["module_id", "section_id", "revision", "attempt", "score", "passed", "questions", "progress"],
        "examples": [
            {
                "module_id": "example-module",
                "section_id": "check-yourself",
                "revision": 1,
                "attempt": 1,
                "score": 33,
                "passed": False,
                "questions": [
                    {
                        "question_id": "q1",
                        "correct": True,
                        "answered": True,
                        "choice": 1,
                        "explanation": "Why choice 2 is right (sent once the question is answered).",
                    },
                    {"question_id": "q2", "correct": False, "answered": True, "choice": 0},
                    {"question_id": "q3", "correct": False, "answered": False},
                ],
                "attempts_left": 2,
                "progress": {"state": "started", "score": 33, "completed_at": None, "changed_since_completion": False},
            }
        ],
    },
    "SectionProgress": _object(
        {
            "module_id": _ID,
            "section_id": {"type": "string"},
            "state": {"enum": ["started", "completed"]},
            "score": {"type": ["integer", "null"]},
            "completed_at": _TIME,
            "changed_since_completion": {"type": "boolean"},
        }
    ),
    "ModuleProgress": _object(
        {
            "module_id": _ID,
            "student_id": {"type": "string"},
            "revision": {"type": "integer"},
            "state": {"enum": ["locked", "available", "started", "completed"]},
            "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            "resume_section_id": _NULLABLE_TEXT,
            "missing_prerequisites": {"type": "array", "items": {"type": "string"}},
            "sections": {
                "type": "array",
                "items": _object(
                    {
                        "section_id": {"type": "string"},
                        "title": {"type": "string"},
                        "state": {"enum": ["not_started", "started", "completed"]},
                        "score": {"type": ["integer", "null"]},
                        "completed_at": _TIME,
                        "changed_since_completion": {"type": "boolean"},
                    }
                ),
            },
        }
    ),
    "ModuleStats": _object(
        {
            "module_id": _ID,
            "revision": {"type": "integer"},
            "archived": {"type": "boolean"},
            "learners": {"type": "integer"},
            "completed": {"type": "integer"},
            "sections": {
                "type": "array",
                "items": _object(
                    {
                        "section_id": {"type": "string"},
                        "title": {"type": "string"},
                        "section_number": {"type": "integer"},
                        "started": {"type": "integer"},
                        "completed": {"type": "integer"},
                        "changed_since_completion": {"type": "integer"},
                        "average_score": {"type": ["number", "null"]},
                    }
                ),
            },
        }
    ),
    "Assignment": {
        "type": "object",
        "properties": {
            "module_id": _ID,
            "student_id": {"type": "string"},
            "due_at": _TIME,
            "assigned_by": _NULLABLE_TEXT,
            "assigned_at": _TIME,
            "title": {"type": "string"},
            "archived": {"type": "boolean"},
        },
        "required": ["module_id", "student_id", "due_at", "assigned_by", "assigned_at"],
    },
    "AssignmentList": _object({"assignments": {"type": "array", "items": _ref("Assignment")}}),
    "AssignmentUpdate": {
        "type": "object",
        "properties": {"due_at": {"type": ["string", "null"], "format": "date-time"}},
        "additionalProperties": False,
    },
    "Event": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "verb": {"enum": [*VERBS, *sorted(VERB_IRIS)]},
            "object": {
                "type": "object",
                "properties": {
                    "module_id": _ID,
                    "section_id": {"type": "string", "minLength": 1, "maxLength": 200},
                    "revision": {"type": "integer", "minimum": 1},
                },
                "required": ["module_id"],
                "additionalProperties": False,
            },
            "result": {
                "type": "object",
                "properties": {
                    "score": {"type": "number", "minimum": 0, "maximum": 100},
                    "success": {"type": "boolean"},
                    "completion": {"type": "boolean"},
                    "duration": {"type": "string", "description": "ISO 8601 duration, e.g. PT30S"},
                    "response": {"type": "string", "maxLength": 1000},
                },
                "additionalProperties": False,
            },
            "context": {"type": "object", "description": "free JSON, at most 4 levels deep and 4096 bytes"},
            "timestamp": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "verb", "object", "timestamp"],
        "additionalProperties": False,
    },
    "EventBatch": {
        "type": "object",
        "properties": {"events": {"type": "array", "items": _ref("Event"), "minItems": 1, "maxItems": MAX_EVENTS}},
        "required": ["events"],
        "additionalProperties": False,
    },
    "EventOutcome": _object(
        {
            "stored": {"type": "integer"},
            "duplicates": {"type": "integer"},
            "rejected": {
                "type": "array",
                "items": _object({"id": _NULLABLE_TEXT, "code": {"type": "string"}, "error": {"type": "string"}}),
            },
        }
    ),
    "MarkdownTexts": {
        "type": "object",
        "properties": {"texts": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_TEXTS}},
        "required": ["texts"],
        "additionalProperties": False,
    },
    "MarkdownHtml": _object({"html": {"type": "array", "items": {"type": "string"}}}),
    "Health": {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]},
}
_ERROR_TEXT = {
    304: "Not modified: the If-None-Match ETag is the current revision",
    400: "Bad request (body not JSON or nested more than 32 levels, duplicate ids in one batch)",
    401: "Missing, expired, forged or unsigned token",
    403: "Forbidden for this token (staff only, or not offered to this student)",
    404: "No such module, section, or assignment",
    405: "Method not allowed",
    409: "Conflict (the module is locked until its prerequisites are completed; an attempt at questions a later "
    "revision replaced, beyond max_attempts, or with a client_attempt_id used for another attempt)",
    410: "The module was archived: no longer offered, progress kept",
    413: "The body is larger than 1 MiB",
    422: "A parameter or the body is not as documented",
    503: "The database (or the LMS's key set) is unreachable, or not migrated; retry after Retry-After seconds",
}


def _json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(
    summary: str,
    ok: dict[int, str | None],
    errors: tuple[int, ...],
    *,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    secured: bool = True,
    headers: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, schema in ok.items():
        responses[str(status)] = {"description": summary if status < 300 else _ERROR_TEXT[status]}
        if schema:
            responses[str(status)]["content"] = _json_content(_ref(schema))
        if headers and status in headers:
            responses[str(status)]["headers"] = headers[status]
    for status in (*errors, 405, 503):
        responses[str(status)] = {"description": _ERROR_TEXT[status], "content": _json_content(_ref("Error"))}
        if status == 503:
            responses["503"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if body:
        operation["requestBody"] = {"required": True, "content": _json_content(_ref(body))}
        responses.setdefault("400", {"description": _ERROR_TEXT[400], "content": _json_content(_ref("Error"))})
        responses.setdefault("413", {"description": _ERROR_TEXT[413], "content": _json_content(_ref("Error"))})
    if parameters:
        operation["parameters"] = parameters
    if not secured:
        operation["security"] = []
    return operation


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string", "minLength": 1}}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_MODULE = _path("module_id", {"type": "string", "minLength": 1})
_STUDENT = _path("student_id", {"type": "string", "minLength": 1, "maxLength": 200})
_ETAG = {"ETag": {"schema": {"type": "string"}}, "Cache-Control": {"schema": {"type": "string"}}}


@cache
def openapi_document() -> dict[str, Any]:
    """The whole document (built once)."""
    text_filter = {"type": "string", "minLength": 1, "maxLength": 200}
    paths: dict[str, Any] = {
        "/healthz": {"get": _operation("The process is alive", {200: "Health"}, (), secured=False)},
        "/readyz": {
            "get": _operation(
                "The database is reachable and at the latest migration", {200: "Health"}, (), secured=False
            )
        },
        "/api/openapi.json": {"get": _operation("This document", {200: None}, (), secured=False)},
        "/media/{key}": {
            "get": {
                "summary": "A stored media object (the local media store only; with MEDIA_BUCKET, the CDN serves it)",
                "security": [],
                "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "the object, cached for a year (immutable)", "content": {"*/*": {}}},
                    "404": {"description": _ERROR_TEXT[404], "content": _json_content(_ref("Error"))},
                },
            }
        },
        "/api/v1/modules": {
            "get": _operation(
                "The live modules this student may take, by keyset pages (Link: rel=next)",
                {200: "ModuleList"},
                (401, 422),
                parameters=[
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50}),
                    _query("after", {**_ID, "description": "the last module_id of the previous page"}),
                    _query("assigned", {"enum": ["true", "false"]}),
                    _query("category", text_filter),
                    _query("tag", text_filter),
                    _query("university", text_filter),
                    _query("cohort", text_filter),
                ],
            )
        },
        "/api/v1/modules/{module_id}": {
            "get": _operation(
                "The module's current revision, sections in order, in the student's arm of each running experiment "
                "(ETag per arm, If-None-Match → 304); staff choose an arm with arm=ARM or arm=EXPERIMENT:ARM",
                {200: "Module", 304: None},
                (401, 403, 404, 410, 422),
                parameters=[
                    _MODULE,
                    _query("fields", {"enum": ["full", "outline"]}),
                    _query("arm", {"type": "string", "minLength": 1, "maxLength": 200}),
                    _query("include", {"enum": ["answers"], "description": "staff only: the quiz key too"}),
                ],
                headers={200: _ETAG, 304: _ETAG},
            )
        },
        "/api/v1/modules/{module_id}/stats": {
            "get": _operation(
                "Completion per current section (staff)", {200: "ModuleStats"}, (401, 403, 404), parameters=[_MODULE]
            )
        },
        "/api/v1/me/modules/{module_id}/progress": {
            "get": _operation(
                "The student's progress in a module",
                {200: "ModuleProgress"},
                (401, 403, 404, 410, 422),
                parameters=[_MODULE],
            )
        },
        "/api/v1/me/modules/{module_id}/sections/{section_id}/progress": {
            "put": _operation(
                "Record a section's progress: idempotent, completed stays completed, best score kept; a quiz or "
                "interactive section takes only started (its completion and score come from attempts)",
                {200: "SectionProgress"},
                (401, 403, 404, 409, 410, 422),
                body="ProgressUpdate",
                parameters=[_MODULE, _path("section_id")],
            )
        },
        "/api/v1/me/modules/{module_id}/sections/{section_id}/attempts": {
            "post": _operation(
                "Submit a quiz or interactive attempt, graded by the server against the revision served; "
                "201 when new, 200 for a retried client_attempt_id",
                {200: "AttemptResult", 201: "AttemptResult"},
                (401, 403, 404, 409, 410, 422),
                body="AttemptSubmission",
                parameters=[_MODULE, _path("section_id")],
            )
        },
        "/api/v1/me/assignments": {"get": _operation("The student's assignments", {200: "AssignmentList"}, (401,))},
        "/api/v1/students/{student_id}/modules/{module_id}/progress": {
            "get": _operation(
                "A student's progress in a module (staff)",
                {200: "ModuleProgress"},
                (401, 403, 404, 410, 422),
                parameters=[_STUDENT, _MODULE],
            )
        },
        "/api/v1/students/{student_id}/assignments": {
            "get": _operation(
                "A student's assignments (staff)", {200: "AssignmentList"}, (401, 403, 422), parameters=[_STUDENT]
            )
        },
        "/api/v1/students/{student_id}/assignments/{module_id}": {
            "put": _operation(
                "Assign a module, with an optional due date (staff); 201 when new",
                {200: "Assignment", 201: "Assignment"},
                (401, 403, 404, 410, 422),
                body="AssignmentUpdate",
                parameters=[_STUDENT, _MODULE],
            ),
            "delete": _operation(
                "Remove an assignment (staff); progress stays",
                {204: None},
                (401, 403, 404, 422),
                parameters=[_STUDENT, _MODULE],
            ),
        },
        "/api/v1/events": {
            "post": _operation(
                f"Store up to {MAX_EVENTS} xAPI-shaped events, each at most once per id",
                {200: "EventOutcome"},
                (401, 422),
                body="EventBatch",
            )
        },
        "/api/v1/markdown": {
            "post": _operation(
                "Module Markdown as safe HTML, with the reviewer preview's policy (one HTML string per text)",
                {200: "MarkdownHtml"},
                (401, 422),
                body="MarkdownTexts",
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FRAMES student runtime API",
            "version": "1",
            "description": "Live modules, progress through revisions, assignments and analytics events; "
            "see docs/runtime-api.md.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
