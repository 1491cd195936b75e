"""Assignments: staff put, re-date, list and delete them; students read their own; others are refused."""

from __future__ import annotations

from pipeline.deploy.apply import deploy
from pipeline.settings import Settings
from tests.runtime.live import LiveServer

ASSIGNMENT = "/api/v1/students/bob/assignments/lab-safety-101"


def test_staff_assign_redate_list_and_remove(api: LiveServer) -> None:
    with api.client("teacher", staff=True) as staff:
        created = staff.put(ASSIGNMENT, json={"due_at": "2027-01-31T23:59:00+01:00"})
        redated = staff.put(ASSIGNMENT, json={"due_at": None})
        staff.put("/api/v1/students/bob/assignments/first-pull-request", json={"due_at": "2027-01-10T12:00:00Z"})
        listed = staff.get("/api/v1/students/bob/assignments").json()["assignments"]
        with api.client("bob") as bob:
            own = bob.get("/api/v1/me/assignments").json()["assignments"]
            modules = {m["module_id"]: m for m in bob.get("/api/v1/modules").json()["modules"]}
        removed = staff.delete(ASSIGNMENT)
        removed_again = staff.delete(ASSIGNMENT)

    assert created.status_code == 201
    assert created.json()["due_at"] == "2027-01-31T22:59:00Z"
    assert created.json()["assigned_by"] == "teacher"
    assert redated.status_code == 200 and redated.json()["due_at"] is None
    assert [a["module_id"] for a in listed] == ["first-pull-request", "lab-safety-101"]  # soonest due first
    assert own == listed
    assert modules["first-pull-request"]["assigned"] is True
    assert modules["first-pull-request"]["due_at"] == "2027-01-10T12:00:00Z"
    assert removed.status_code == 204
    assert removed_again.status_code == 404


def test_assignment_refusals(api: LiveServer, deployed: Settings) -> None:
    with api.client("bob") as bob:
        as_student = bob.put(ASSIGNMENT, json={})
        list_as_student = bob.get("/api/v1/students/alice/assignments")
    (deployed.modules_dir / "first-pull-request.json").unlink()
    deploy(None, deployed)
    with api.client("teacher", staff=True) as staff:
        unknown = staff.put("/api/v1/students/bob/assignments/no-such-module", json={})
        archived = staff.put("/api/v1/students/bob/assignments/first-pull-request", json={})
        naive = staff.put(ASSIGNMENT, json={"due_at": "2027-01-31T23:59:00"})
        not_a_date = staff.put(ASSIGNMENT, json={"due_at": "next friday"})
        extra = staff.put(ASSIGNMENT, json={"due": "2027-01-31T23:59:00Z"})

    assert as_student.status_code == 403 and as_student.json()["error"] == "forbidden"
    assert list_as_student.status_code == 403
    assert unknown.status_code == 404
    assert archived.status_code == 410
    assert naive.status_code == 422 and "time zone" in naive.json()["message"]
    assert not_a_date.status_code == 422
    assert extra.status_code == 422
