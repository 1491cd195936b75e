"""Content: the catalogue a student sees, one module's current revision, ETags, archived and unknown modules."""

from __future__ import annotations

from pipeline.deploy.apply import deploy
from pipeline.runtime.events import INVALID_ID
from pipeline.settings import Settings
from tests.module_builders import export_edit
from tests.runtime.live import LiveServer
from tests.sql import execute, newest_migration


def test_a_token_without_claims_lists_every_live_module_with_its_state(api: LiveServer) -> None:
    with api.client("alice") as client:
        answer = client.get("/api/v1/modules")

    assert answer.status_code == 200
    modules = {m["module_id"]: m for m in answer.json()["modules"]}
    assert sorted(modules) == ["equipment-tour", "first-pull-request", "lab-safety-101"]
    assert modules["lab-safety-101"]["state"] == "available"
    assert modules["lab-safety-101"]["percent"] == 0
    assert modules["lab-safety-101"]["revision"] == 1
    # equipment-tour needs lab-safety-101 first
    assert modules["equipment-tour"]["state"] == "locked"
    assert modules["equipment-tour"]["missing_prerequisites"] == ["lab-safety-101"]


def test_the_list_pages_by_keyset_with_a_link_header(api: LiveServer) -> None:
    seen: list[str] = []
    with api.client("alice") as client:
        url: str | None = "/api/v1/modules?limit=2"
        while url:
            answer = client.get(url)
            assert answer.status_code == 200
            seen += [m["module_id"] for m in answer.json()["modules"]]
            url = answer.json()["next"]
            if url:
                assert answer.headers["Link"] == f'<{url}>; rel="next"'
            else:
                assert "Link" not in answer.headers

    assert seen == ["equipment-tour", "first-pull-request", "lab-safety-101"]


def test_filters_and_claims_narrow_the_catalogue(api: LiveServer, deployed: Settings) -> None:
    with api.client("alice") as client:
        by_category = client.get("/api/v1/modules", params={"category": "Software"}).json()["modules"]
        by_tag = client.get("/api/v1/modules", params={"tag": "github"}).json()["modules"]
    with api.client("bob", university="another-university") as client:
        elsewhere = client.get("/api/v1/modules").json()["modules"]
    with api.client("carol", cohort="Spring 2026") as client:
        other_cohort = [m["module_id"] for m in client.get("/api/v1/modules").json()["modules"]]

    assert [m["module_id"] for m in by_category] == ["first-pull-request"]
    assert [m["module_id"] for m in by_tag] == ["first-pull-request"]
    assert elsewhere == []
    # lab-safety-101 is for the Fall 2025 cohort; first-pull-request has no cohort, so it is open to all
    assert "lab-safety-101" not in other_cohort and "first-pull-request" in other_cohort


def test_an_assigned_module_is_listed_even_outside_the_students_catalogue(api: LiveServer) -> None:
    with api.client("teacher", staff=True) as staff:
        assert staff.put("/api/v1/students/bob/assignments/lab-safety-101", json={}).status_code == 201
    with api.client("bob", university="another-university") as client:
        listed = client.get("/api/v1/modules").json()["modules"]
        fetched = client.get("/api/v1/modules/lab-safety-101")
        refused = client.get("/api/v1/modules/first-pull-request")

    assert [(m["module_id"], m["assigned"]) for m in listed] == [("lab-safety-101", True)]
    assert fetched.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_offered"


def test_a_module_comes_with_its_sections_in_order_and_an_etag(api: LiveServer) -> None:
    with api.client("alice") as client:
        answer = client.get("/api/v1/modules/lab-safety-101")

    assert answer.status_code == 200
    body = answer.json()
    assert body["module_id"] == "lab-safety-101"
    assert body["revision"] == 1
    assert [s["section_id"] for s in body["sections"]] == [
        "welcome",
        "ppe-requirements",
        "emergency-video",
        "locate-equipment",
        "safety-check",
    ]
    assert all({"section_id", "section_type", "title", "content"} <= set(s) for s in body["sections"])
    assert answer.headers["ETag"].startswith('"r1-')
    assert answer.headers["Cache-Control"] == "private, no-cache"


def test_if_none_match_gets_304_and_a_new_revision_a_new_etag(api: LiveServer, deployed: Settings) -> None:
    with api.client("alice") as client:
        first = client.get("/api/v1/modules/lab-safety-101")
        etag = first.headers["ETag"]
        again = client.get("/api/v1/modules/lab-safety-101", headers={"If-None-Match": etag})
        export_edit(deployed.modules_dir, "lab-safety-101", lambda m: m.update(title="Lab Safety 101, revised"))
        deploy(None, deployed)
        after_deploy = client.get("/api/v1/modules/lab-safety-101", headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert after_deploy.status_code == 200
    assert after_deploy.json()["revision"] == 2
    assert after_deploy.json()["title"] == "Lab Safety 101, revised"
    assert after_deploy.headers["ETag"] != etag


def test_the_outline_has_ids_titles_and_types_only(api: LiveServer) -> None:
    with api.client("alice") as client:
        full = client.get("/api/v1/modules/lab-safety-101")
        outline = client.get("/api/v1/modules/lab-safety-101", params={"fields": "outline"})

    assert outline.status_code == 200
    assert set(outline.json()["sections"][0]) == {"section_id", "section_number", "section_type", "title"}
    assert outline.headers["ETag"] != full.headers["ETag"]


def test_unknown_modules_answer_404_and_archived_ones_410(api: LiveServer, deployed: Settings) -> None:
    (deployed.modules_dir / "first-pull-request.json").unlink()
    deploy(None, deployed)
    with api.client("alice") as client:
        unknown = client.get("/api/v1/modules/no-such-module")
        malformed = client.get("/api/v1/modules/Not_An_Id")
        archived = client.get("/api/v1/modules/first-pull-request")
        listed = [m["module_id"] for m in client.get("/api/v1/modules").json()["modules"]]
        bad_fields = client.get("/api/v1/modules/lab-safety-101", params={"fields": "everything"})

    assert unknown.status_code == 404
    assert "no-such-module" in unknown.json()["message"]
    assert malformed.status_code == 404
    assert archived.status_code == 410
    assert archived.json()["error"] == "archived"
    assert "progress on it is kept" in archived.json()["message"]
    assert "first-pull-request" not in listed
    assert bad_fields.status_code == 422


def test_bad_list_parameters_answer_422_naming_them(api: LiveServer) -> None:
    with api.client("alice") as client:
        for params, word in [({"limit": "0"}, "limit"), ({"after": "NOPE"}, "after"), ({"colour": "x"}, "colour")]:
            answer = client.get("/api/v1/modules", params=params)
            assert answer.status_code == 422
            assert word in answer.json()["message"]


def test_text_the_database_cannot_store_is_a_422_naming_where_not_a_500(api: LiveServer) -> None:
    # given requests carrying NUL or a lone surrogate where the API passes text on to PostgreSQL
    with api.client("alice") as client:
        listed = client.get("/api/v1/modules", params={"university": "\x00x", "category": "ok"})
        with api.client("sam", staff=True) as staff:
            assigned = staff.get("/api/v1/students/bo%00b/assignments")
            dated = staff.put(
                "/api/v1/students/bob/assignments/lab-safety-101",
                content=b'{"due_at": "2027-01-01T00:00:00Z", "note": "\\u0000"}',
                headers={"Content-Type": "application/json"},
            )
        posted = client.post(
            "/api/v1/events",
            content=b'{"events": [{"id": "\\ud800"}]}',
            headers={"Content-Type": "application/json"},
        )

    # then each is refused with 422 and a message naming the parameter or the body's place, never a server error
    assert (listed.status_code, listed.json()["error"]) == (422, "invalid_request")
    assert "university" in listed.json()["message"] and "NUL" in listed.json()["message"]
    assert assigned.status_code == 422 and "student_id" in assigned.json()["message"]
    assert dated.status_code == 422 and "/note" in dated.json()["message"]
    # an event is refused alone, in the batch's answer
    assert posted.status_code == 200
    assert posted.json()["rejected"] == [{"id": None, "code": "invalid", "error": INVALID_ID}]


def test_a_module_with_a_cohort_a_student_is_not_in_is_refused_403(api: LiveServer) -> None:
    with api.client("dave", cohort="Spring 2026") as client:
        answer = client.get("/api/v1/modules/lab-safety-101")
    assert answer.status_code == 403


def test_unknown_endpoints_and_methods_answer_json(api: LiveServer) -> None:
    with api.client("alice") as client:
        missing = client.get("/api/v1/nothing-here")
        wrong_method = client.delete("/api/v1/modules")

    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert wrong_method.status_code == 405 and "message" in wrong_method.json()


def test_health_and_readiness(api: LiveServer, deployed: Settings) -> None:
    with api.client(None) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["migration"] == newest_migration()
        execute_downgrade_marker(deployed)
        not_ready = client.get("/readyz")

    assert not_ready.status_code == 503
    assert "db upgrade" in not_ready.json()["message"]


def execute_downgrade_marker(settings: Settings) -> None:
    """Make the database claim an older migration, as one not upgraded yet would."""
    from pipeline.db.engine import engine_for

    engine = engine_for(settings.database_url or "")
    execute(engine, "UPDATE alembic_version SET version_num = '0002'")
    engine.dispose()
