"""A student takes the sample modules in a real headless Chromium, against `serve`'s app and PostgreSQL."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from pipeline.deploy.apply import deploy
from pipeline.module.canonical import write_module
from pipeline.runtime import create_app
from pipeline.runtime.auth import issue_token
from tests.learner.accessibility import accessibility_problems, focus_ring
from tests.learner.conftest import Learner, Tab, open_tab, screenshot
from tests.runtime.live import ISSUER, SECRET, LiveServer, make_token

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
    """No console error, failed request or CSP violation so far; every control labelled, every text readable."""
    assert tab.problems == []
    assert tab.csp_violations() == []
    assert accessibility_problems(tab.page) == []


def test_student_starts_lab_safety_by_keyboard_and_resumes_after_reload(learner: Learner, browser_context: Any) -> None:
    # given a newcomer with two assignments, on /learn/ with the development picker
    staff = {"Authorization": f"Bearer {issue_token(learner.settings, 'teacher', staff=True).token}"}
    for module_id, due in (("equipment-tour", "2027-02-01T17:00:00Z"), ("first-pull-request", "2027-01-15T17:00:00Z")):
        url = f"{learner.base_url}/api/v1/students/kim/assignments/{module_id}"
        assert httpx.put(url, json={"due_at": due}, headers=staff).status_code == 201
    tab = open_tab(browser_context, f"{learner.base_url}/learn/")
    page = tab.page
    sign_in(tab, "kim")
    page.wait_for_selector("#other-modules li")
    # then the catalogue lists the assignments first, soonest due first, with their dates and states
    assigned = page.eval_on_selector_all("#assigned-modules li", "ls => ls.map(l => l.dataset.moduleId)")
    assert assigned == ["first-pull-request", "equipment-tour"]
    assert "due Jan 15, 2027" in page.inner_text("#assigned-modules li[data-module-id='first-pull-request']")
    tour = page.inner_text("#assigned-modules li[data-module-id='equipment-tour']")
    assert "Locked" in tour and "Locked until you complete Lab Safety 101" in tour
    assert page.query_selector("a[href$='/learn/modules/equipment-tour']") is None
    others = page.eval_on_selector_all("#other-modules li", "ls => ls.map(l => l.dataset.moduleId)")
    assert others == ["lab-safety-101"]
    assert accessibility_problems(page) == []
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


def open_module(learner: Learner, context: Any, module_id: str, student: str) -> Tab:
    """A student signs in on a module's own page (as a link from the LMS would open it)."""
    tab = open_tab(context, f"{learner.base_url}/learn/modules/{module_id}")
    sign_in(tab, student)
    tab.page.wait_for_selector("#section-list [aria-current='step']")
    return tab


def test_a_deploy_of_an_edited_section_shows_the_banner_and_keeps_completions(
    learner: Learner, browser_context: Any
) -> None:
    # given a student who completed the first two sections of Lab Safety 101
    tab = open_module(learner, browser_context, "lab-safety-101", "max")
    page = tab.page
    press_next(page)
    press_next(page)
    wait_until_sent(page)
    # when the team lead's edit of the welcome section is deployed
    path = learner.settings.modules_dir / "lab-safety-101.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["sections"][0]["content"] += "\n\nNew: sign the lab register when you arrive."
    write_module(path, document)
    assert deploy(None, learner.settings).ok
    page.reload(wait_until="load")
    page.wait_for_selector("#section-list [aria-current='step']")
    # then both sections stay completed, the edited one is marked, and its page says it changed
    assert current_section(page) == "emergency-video"
    marks = page.eval_on_selector_all("#section-list button", "bs => bs.map(b => [b.dataset.sectionId, b.className])")
    assert marks[0] == ["welcome", "link-step done changed"] and marks[1] == ["ppe-requirements", "link-step done"]
    tab_to(page, "#section-list button[data-section-id='welcome']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#changed-banner:not([hidden])")
    assert "changed since you completed it" in page.inner_text("#changed-banner")
    assert "sign the lab register" in page.inner_text("#section-body")
    assert page.is_hidden("#resume")  # said once, on arrival
    screenshot(page, "player-changed-section")
    completed = "SELECT count(*) FROM module_progress WHERE student_id = 'max' AND state = 'completed'"
    assert learner.scalar(completed) == 2
    assert_clean(tab)


def test_events_made_offline_are_sent_once_when_back_online(learner: Learner, browser_context: Any) -> None:
    posted: list[str] = []

    def watch(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/events"):
            posted.extend(event["id"] for event in json.loads(request.post_data)["events"])

    browser_context.on("request", watch)
    count = "SELECT count(*) FROM module_analytics_events WHERE student_id = 'lee'"
    # given a student reading a module, everything sent so far
    tab = open_module(learner, browser_context, "lab-safety-101", "lee")
    page = tab.page
    wait_until_sent(page)
    sent_online = len(posted)
    # when the connection drops and they read on
    browser_context.set_offline(True)
    press_next(page)
    press_next(page)
    queued = [item["event"]["id"] for item in outbox(page) if item["kind"] == "event"]
    assert len(queued) >= 4 and len(posted) == sent_online
    assert "waiting to be sent (offline)" in page.inner_text("#queue-status")
    assert learner.scalar(count) == sent_online
    # and comes back
    browser_context.set_offline(False)
    wait_until_sent(page)
    # then every queued event was sent, each once, and PostgreSQL holds exactly what was sent
    assert set(queued) <= set(posted)
    assert len(posted) == len(set(posted))
    assert learner.scalar(count) == len(posted)
    assert learner.scalar("SELECT count(*) FROM module_progress WHERE student_id = 'lee' AND state = 'completed'") == 2
    assert_clean(tab)


def test_a_token_in_the_query_string_is_refused_and_one_in_the_fragment_signs_in(
    learner: Learner, browser_context: Any
) -> None:
    token = httpx.post(learner.base_url + "/learn/dev-token", json={"student_id": "alice"}).json()["token"]
    # given a link that carries the token in its query string
    tab = open_tab(browser_context, f"{learner.base_url}/learn/?token={token}")
    page = tab.page
    # then the page does not sign in with it, says why, and takes it off the address
    page.wait_for_selector("#sign-in:not([hidden])")
    assert "token in the address is ignored" in page.inner_text("#notice")
    assert "token" not in page.url
    # when the token comes in the fragment instead
    page.goto(f"{learner.base_url}/learn/#token={token}")
    # then the student is signed in and the fragment is gone from the address and the history
    page.wait_for_selector("#other-modules li")
    assert page.inner_text("#who-name").strip() == "Signed in as alice"
    assert "#" not in page.url
    assert page.inner_text("#notice") == ""
    # and at 360 px the catalogue fits the screen
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "catalogue-360px")
    # and the keyboard's focus is always visible, and motion stops when the student asks for less of it
    tab_to(page, "a[href$='/learn/modules/lab-safety-101']")
    style, width = focus_ring(page)
    assert style == "solid" and width >= 2
    transition = "() => getComputedStyle(document.querySelector('#sign-out')).transitionDuration"
    assert page.evaluate(transition) != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(transition) == "0s"
    assert_clean(tab)


def test_an_lms_page_frames_the_learner_page_and_posts_it_the_token(learner: Learner, browser_context: Any) -> None:
    # given an LMS page on its own origin (localhost, another origin than 127.0.0.1)
    parent: list[bytes] = []

    def lms_page(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return parent

    lms_server = make_server("127.0.0.1", 0, lms_page, threaded=True)
    threading.Thread(target=lms_server.serve_forever, daemon=True).start()
    lms = f"http://localhost:{lms_server.server_port}"
    # and the learner page under the production rules, which that origin may frame and post the token to
    production = learner.settings.with_overrides(
        runtime_env="production", runtime_jwt_secret=SECRET, runtime_jwt_issuer=ISSUER, runtime_lms_origin=lms
    )
    server = LiveServer(create_app(production, host="127.0.0.1"))
    parent.append(
        f"""<!doctype html><title>LMS</title>
<iframe src="{server.base_url}/learn/" title="Modules" width="900" height="700"></iframe>
<script>
addEventListener("message", (e) => {{
  if (e.origin === "{server.base_url}" && e.data && e.data.type === "frames:ready")
    e.source.postMessage({{type: "frames:token", token: "{make_token("noor")}"}}, "{server.base_url}");
}});
</script>""".encode()
    )
    try:
        tab = open_tab(browser_context, f"{lms}/course")
        frame = tab.page.frame_locator("iframe")
        # then the framed page signs the student in with the LMS's token and shows their modules
        frame.locator("#other-modules li").first.wait_for()
        assert frame.locator("#who-name").inner_text().strip() == "Signed in as noor"
        assert frame.locator("#dev-sign-in").count() == 0
        assert tab.problems == []
    finally:
        server.close()
        lms_server.shutdown()
        lms_server.server_close()
