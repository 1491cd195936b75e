"""A student takes the sample modules in a real headless Chromium, against `serve`'s app and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.learner.conftest import Learner, Tab, open_tab, screenshot

pytestmark = pytest.mark.browser
MAX_TABS = 80  # presses of Tab to reach any control of a page


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the focused element matches `selector` (keyboard only: no clicks, no focus() calls)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def sign_in(tab: Tab, student: str) -> None:
    page = tab.page
    page.wait_for_selector("#sign-in:not([hidden])")
    tab_to(page, "#student-id")
    page.keyboard.press("Control+A")
    page.keyboard.type(student)
    page.keyboard.press("Enter")
    page.wait_for_selector("#who:not([hidden])")


def outbox(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('frames.outbox.'))"
        ".flatMap((k) => JSON.parse(localStorage.getItem(k)))"
    )


def wait_until_sent(page: Any) -> None:
    page.wait_for_function(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('frames.outbox.'))"
        ".every((k) => JSON.parse(localStorage.getItem(k)).length === 0)"
    )


def current_section(page: Any) -> str:
    return page.eval_on_selector("#section-list [aria-current='step']", "b => b.dataset.sectionId")


def press_next(page: Any) -> None:
    before = current_section(page)
    tab_to(page, "#next")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(b) => document.querySelector(\"#section-list [aria-current='step']\").dataset.sectionId !== b", arg=before
    )


def assert_clean(tab: Tab) -> None:
    assert tab.problems == []
    assert tab.csp_violations() == []


def test_student_starts_lab_safety_by_keyboard_and_resumes_after_reload(learner: Learner, browser_context: Any) -> None:
    # given a newcomer on /learn/ with the development picker
    tab = open_tab(browser_context, f"{learner.base_url}/learn/")
    page = tab.page
    sign_in(tab, "kim")
    page.wait_for_selector("#other-modules li")
    screenshot(page, "catalogue")
    # when they open Lab Safety 101 and go through three sections by keyboard
    tab_to(page, "a[href$='/learn/modules/lab-safety-101']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#section-list [aria-current='step']")
    assert current_section(page) == "welcome"
    assert "five rules" in page.inner_html("#section-body")
    press_next(page)
    press_next(page)
    assert current_section(page) == "emergency-video"
    wait_until_sent(page)
    # and reload
    page.reload(wait_until="load")
    page.wait_for_selector("#section-list [aria-current='step']")
    # then the page resumes at the section they had reached, saying so
    assert current_section(page) == "emergency-video"
    assert "Resuming where you left off" in page.inner_text("#resume")
    assert learner.scalar("SELECT count(*) FROM module_progress WHERE student_id = 'kim' AND state = 'completed'") == 2
    assert_clean(tab)
