"""The /learn/ pages: page shells from templates, the one script and stylesheet, and development sign-in.

Every page is the same for every student: what a student sees (their catalogue, their arm of an experiment, their
progress) comes from the API, called by `static/learner.js` with the student's bearer token. So a page needs no
session, no cookie and no database query, and a strict Content-Security-Policy holds: scripts and styles from
this origin only, nothing inline, API calls to this origin only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, abort, render_template, request

from pipeline.module.document import is_valid_id, unstorable_text

MAX_STUDENT_ID_LENGTH = 200
# Students offered by the development picker; any other id may be typed in.
DEVELOPMENT_STUDENTS = ("alice", "bob", "carol")


@dataclass(frozen=True)
class LearnerConfig:
    """How the page signs a student in: a development picker (with its token minter) or the LMS's hand-off."""

    development: bool
    mint_token: Callable[[str], str] | None = None  # development only: a token for a student id
    lms_origin: str | None = None  # production: the LMS origin allowed to frame the page and post the token


def content_security_policy(lms_origin: str | None) -> str:
    """Same-origin script, style and API; media from this origin or https (media URLs may be a CDN)."""
    ancestors = lms_origin or "'none'"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        f"media-src 'self' https:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {ancestors}"
    )


def learner_blueprint(config: LearnerConfig) -> Blueprint:
    """The /learn/ blueprint; its development sign-in route exists only when `config.development`."""
    pages = Blueprint("learner", __name__, url_prefix="/learn", template_folder="templates", static_folder="static")
    policy = content_security_policy(config.lms_origin)

    def page(template: str, **values: object) -> str:
        return render_template(
            f"learner/{template}",
            development=config.development,
            lms_origin=config.lms_origin or "",
            students=DEVELOPMENT_STUDENTS,
            **values,
        )

    @pages.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-cache"
        return response

    @pages.get("/")
    def catalogue() -> str:
        return page("catalogue.html", page="catalogue")

    @pages.get("/progress")
    def progress() -> str:
        return page("progress.html", page="progress")

    @pages.get("/modules/<module_id>")
    def player(module_id: str) -> str:
        if not is_valid_id(module_id):
            abort(404)
        return page("player.html", page="player", module_id=module_id)

    if config.development and config.mint_token is not None:
        mint = config.mint_token

        @pages.post("/dev-token")
        def development_token() -> Response:
            # JSON only: a cross-site form cannot send it without a CORS preflight, which this route never grants.
            body = request.get_json(silent=True) if request.is_json else None
            student_id = body.get("student_id") if isinstance(body, dict) else None
            if (
                not isinstance(student_id, str)
                or not student_id.strip()
                or len(student_id) > MAX_STUDENT_ID_LENGTH
                or unstorable_text(student_id)
            ):
                return _json_error(
                    422, f'send {{"student_id": "alice"}}: a student id of 1 to {MAX_STUDENT_ID_LENGTH} characters'
                )
            return Response(
                json.dumps({"token": mint(student_id.strip()), "student_id": student_id.strip()}),
                mimetype="application/json",
                headers={"Cache-Control": "no-store"},
            )

    return pages


def _json_error(status: int, message: str) -> Response:
    return Response(
        json.dumps({"error": "invalid_request", "message": message}), status=status, mimetype="application/json"
    )
