"""One access rule for every route that names a module: what the fetch refuses, no other route gives away."""

from __future__ import annotations

import httpx

from pipeline.db.engine import engine_for
from pipeline.deploy.apply import deploy
from pipeline.settings import Settings
from tests.runtime.live import LiveServer
from tests.runtime.test_events import event
from tests.sql import scalar

MODULE = "lab-safety-101"  # for the Fall 2025 cohort of cpp


def _every_route(client: httpx.Client, module_id: str) -> dict[str, httpx.Response]:
    return {
        "fetch": client.get(f"/api/v1/modules/{module_id}"),
        "progress read": client.get(f"/api/v1/me/modules/{module_id}/progress"),
        "progress write": client.put(
            f"/api/v1/me/modules/{module_id}/sections/welcome/progress", json={"state": "started"}
        ),
    }


def test_a_module_of_another_cohort_is_refused_403_by_every_route(api: LiveServer, deployed: Settings) -> None:
    with api.client("dave", cohort="Spring 2026") as client:
        answers = _every_route(client, MODULE)
        events = client.post("/api/v1/events", json={"events": [event(), event()]})

    for route, answer in answers.items():
        assert (answer.status_code, answer.json()["error"]) == (403, "not_offered"), route
        assert "welcome" not in answer.text, route  # no section id or title of a module the student may not see
    assert events.json()["stored"] == 0
    assert {r["code"] for r in events.json()["rejected"]} == {"not_offered"}
    engine = engine_for(deployed.database_url or "")
    assert scalar(engine, "SELECT count(*) FROM module_analytics_events") == 0
    assert scalar(engine, "SELECT count(*) FROM module_progress") == 0
    engine.dispose()


def test_an_assignment_opens_a_module_outside_the_catalogue_on_every_route(api: LiveServer) -> None:
    with api.client("sam", staff=True) as staff:
        assert staff.put(f"/api/v1/students/dave/assignments/{MODULE}", json={}).status_code == 201
    with api.client("dave", cohort="Spring 2026") as client:
        answers = _every_route(client, MODULE)
        events = client.post("/api/v1/events", json={"events": [event()]})

    assert {route: a.status_code for route, a in answers.items()} == dict.fromkeys(answers, 200)
    assert events.json()["stored"] == 1


def test_an_archived_module_is_410_on_every_route_and_its_events_are_rejected(
    api: LiveServer, deployed: Settings
) -> None:
    (deployed.modules_dir / "first-pull-request.json").unlink()
    deploy(None, deployed)
    archived_event = event(object={"module_id": "first-pull-request"})
    with api.client("alice") as client:
        answers = _every_route(client, "first-pull-request")
        events = client.post("/api/v1/events", json={"events": [archived_event, event()]})

    for route, answer in answers.items():
        assert (answer.status_code, answer.json()["error"]) == (410, "archived"), route
    assert events.json()["stored"] == 1
    assert events.json()["rejected"] == [
        {"id": archived_event["id"], "code": "archived", "error": events.json()["rejected"][0]["error"]}
    ]


def test_events_for_an_unknown_section_or_a_future_revision_are_rejected_alone(api: LiveServer) -> None:
    unknown_section = event(object={"module_id": MODULE, "section_id": "no-such-section", "revision": 1})
    future = event(object={"module_id": MODULE, "section_id": "welcome", "revision": 99})
    past_and_present = [event(object={"module_id": MODULE, "section_id": "welcome", "revision": 1}), event()]
    with api.client("alice") as client:
        answer = client.post("/api/v1/events", json={"events": [unknown_section, future, *past_and_present]})

    assert answer.json()["stored"] == 2
    codes = {r["id"]: r["code"] for r in answer.json()["rejected"]}
    assert codes == {unknown_section["id"]: "unknown_section", future["id"]: "unknown_revision"}
    assert "revision 1, not 99" in answer.json()["rejected"][1]["error"]
