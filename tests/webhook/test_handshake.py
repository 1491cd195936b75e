"""Notion's verification request, signed (current guide) or unsigned (first guides), before and after set-up."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace

import pytest

from pipeline.settings import Settings
from pipeline.webhook import signature_for
from tests.webhook.delivery import DATA, SECRET, DispatchReceiver, deliver, recorded_event

VERIFICATION = (DATA / "verification.json").read_bytes()


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_the_verification_request_is_answered_while_the_secret_is_unset(
    start_receiver: Callable[..., str], settings: Settings, caplog: pytest.LogCaptureFixture, signed: bool
) -> None:
    # Given a receiver not yet verified (no NOTION_WEBHOOK_SECRET)
    caplog.set_level(logging.INFO, logger="pipeline.webhook")
    url = start_receiver(replace(settings, notion_webhook_secret=None))
    # When Notion sends its verification request, signed with the token it carries, or unsigned
    response = deliver(url, VERIFICATION, secret=SECRET if signed else None)
    # Then it is acknowledged, and the token is in the log for the operator, not in the answer
    assert response.status_code == 200
    assert response.json() == {"status": "verification_received"}
    assert SECRET in caplog.text and "NOTION_WEBHOOK_SECRET" in caplog.text


def test_events_wait_for_the_secret_until_set_up_is_finished(
    start_receiver: Callable[..., str], settings: Settings, github: DispatchReceiver
) -> None:
    url = start_receiver(replace(settings, notion_webhook_secret=None))
    response = deliver(url, recorded_event())
    assert response.status_code == 503
    assert response.json()["error"] == "not_configured"
    assert github.received == []


def test_a_verification_request_signed_with_another_key_is_refused(
    start_receiver: Callable[..., str], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pipeline.webhook")
    url = start_receiver(replace(settings, notion_webhook_secret=None))
    response = deliver(url, VERIFICATION, signature=signature_for("secret_notTheTokenInTheBody", VERIFICATION))
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    assert SECRET not in caplog.text


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_a_verification_request_after_set_up_shows_only_a_fingerprint(
    receiver_url: str, caplog: pytest.LogCaptureFixture, signed: bool
) -> None:
    # Given a receiver with its secret, and a new subscription's token (or someone who found the URL)
    caplog.set_level(logging.INFO, logger="pipeline.webhook")
    token = "secret_someoneElseSentThisTokenXXXXXXXXXXXXX"
    body = json.dumps({"verification_token": token}).encode()
    response = deliver(receiver_url, body, secret=token if signed else None)
    # Then it is acknowledged, and the log names the request but never prints the token
    assert response.status_code == 200
    assert token not in caplog.text
    assert "verification_token (sha256" in caplog.text


def test_a_verification_request_signed_with_the_secret_after_set_up_is_acknowledged(
    receiver_url: str, github: DispatchReceiver
) -> None:
    # Notion resends the verification of the subscription already set up: signed with the secret it carries
    response = deliver(receiver_url, VERIFICATION)
    assert response.status_code == 200
    assert response.json() == {"status": "verification_received"}
    assert github.received == []


def test_a_verification_token_that_is_not_a_string_is_refused(
    start_receiver: Callable[..., str], settings: Settings
) -> None:
    url = start_receiver(replace(settings, notion_webhook_secret=None))
    response = deliver(url, b'{"verification_token": 42}', secret=None)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_event"
