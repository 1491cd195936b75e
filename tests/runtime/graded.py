"""Attempts as a client posts them, at the sample modules' graded sections (their keys, for the tests only)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

LAB = "/api/v1/me/modules/lab-safety-101"
# lab-safety-101's quiz `safety-check`: 3 questions, pass_percent 66 (2 of 3 pass)
SAFETY_KEY = {"eye-contact": 1, "after-hours": 1, "ppe-soldering": 0}
SAFETY_WRONG = {"eye-contact": 0, "after-hours": 0, "ppe-soldering": 2}
ALL_EQUIPMENT = ["fire-extinguisher", "eye-wash", "first-aid-kit", "safety-shower", "emergency-exit"]


def attempt(
    client: httpx.Client,
    section_id: str,
    *,
    answers: dict[str, int] | None = None,
    hotspots: list[str] | None = None,
    revision: int = 1,
    module: str = LAB,
    attempt_id: str | None = None,
) -> httpx.Response:
    """POST one attempt (a new client_attempt_id unless one is given)."""
    body: dict[str, Any] = {"client_attempt_id": attempt_id or str(uuid.uuid4()), "revision": revision}
    if answers is not None:
        body["answers"] = answers
    if hotspots is not None:
        body["hotspots"] = hotspots
    return client.post(f"{module}/sections/{section_id}/attempts", json=body)


def complete_lab_graded_sections(client: httpx.Client, revision: int = 1) -> None:
    """Pass lab-safety-101's interactive section and its quiz, as a student who knows the answers."""
    assert attempt(client, "locate-equipment", hotspots=ALL_EQUIPMENT, revision=revision).json()["passed"]
    assert attempt(client, "safety-check", answers=SAFETY_KEY, revision=revision).json()["passed"]
