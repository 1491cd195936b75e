"""The /learn/ pages over HTTP: their security headers, development sign-in, and the Markdown route they use."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from pipeline.errors import ConfigError
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.learner.conftest import Learner
from tests.runtime.live import ISSUER, SECRET, LiveServer, make_token


def _production(settings: Settings, tmp_path: Path, **overrides: object) -> Settings:
    return settings.with_overrides(
        runtime_env="production",
        runtime_jwt_secret=SECRET,
        runtime_jwt_issuer=ISSUER,
        pgdata_dir=tmp_path / "pgdata",
        **overrides,
    )


@pytest.mark.parametrize("path", ["/learn/", "/learn/progress", "/learn/modules/lab-safety-101"])
def test_every_page_runs_only_its_own_script_under_a_strict_policy(learner: Learner, path: str) -> None:
    page = httpx.get(learner.base_url + path)
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "connect-src 'self';" in policy
    assert "unsafe" not in policy and "frame-ancestors 'none'" in policy
    # no inline script, handler or style for the policy to block: one module script, one stylesheet
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page.text, re.S)
    assert scripts == [""] and 'type="module" src="/learn/static/learner.js"' in page.text
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", page.text)
    script = httpx.get(learner.base_url + "/learn/static/learner.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]


def test_development_sign_in_gives_a_token_the_api_accepts(learner: Learner) -> None:
    minted = httpx.post(learner.base_url + "/learn/dev-token", json={"student_id": "alice"})
    assert minted.status_code == 200 and minted.headers["Cache-Control"] == "no-store"
    token = minted.json()["token"]
    modules = httpx.get(learner.base_url + "/api/v1/modules", headers={"Authorization": f"Bearer {token}"})
    assert modules.status_code == 200 and len(modules.json()["modules"]) == 3


def test_development_sign_in_takes_json_only(learner: Learner) -> None:
    # a cross-site form can post urlencoded bodies without a preflight; the route does not take them
    form = httpx.post(learner.base_url + "/learn/dev-token", data={"student_id": "alice"})
    assert form.status_code == 422 and "student_id" in form.json()["message"]
    blank = httpx.post(learner.base_url + "/learn/dev-token", json={"student_id": "  "})
    assert blank.status_code == 422


def test_development_sign_in_does_not_exist_under_production_rules(settings: Settings, tmp_path: Path) -> None:
    server = LiveServer(create_app(_production(settings, tmp_path), host="127.0.0.1"))
    try:
        assert httpx.post(server.base_url + "/learn/dev-token", json={"student_id": "alice"}).status_code == 404
        page = httpx.get(server.base_url + "/learn/")
        assert page.status_code == 200
        assert 'id="dev-sign-in"' not in page.text and "Open this page from your LMS" in page.text
    finally:
        server.close()


def test_the_lms_origin_may_frame_the_page_and_must_be_an_origin(settings: Settings, tmp_path: Path) -> None:
    framed = _production(settings, tmp_path, runtime_lms_origin="https://lms.example.edu")
    server = LiveServer(create_app(framed, host="127.0.0.1"))
    try:
        page = httpx.get(server.base_url + "/learn/")
        assert "frame-ancestors https://lms.example.edu" in page.headers["Content-Security-Policy"]
        assert 'data-lms-origin="https://lms.example.edu"' in page.text
    finally:
        server.close()
    with pytest.raises(ConfigError, match="RUNTIME_LMS_ORIGIN"):
        create_app(_production(settings, tmp_path, runtime_lms_origin="https://lms.example.edu/course/1"), host=None)


def test_module_text_is_rendered_with_the_preview_policy(learner: Learner) -> None:
    token = httpx.post(learner.base_url + "/learn/dev-token", json={"student_id": "alice"}).json()["token"]
    texts = [
        "# Title\n\n| a | b |\n| --- | --- |\n| 1 | 2 |",
        '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="alert(2)">',
        "![Floor plan](/media/ab/plan.png) ![bad](javascript:alert(1))",
    ]
    answer = httpx.post(
        learner.base_url + "/api/v1/markdown", json={"texts": texts}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200
    table, hostile, pictures = answer.json()["html"]
    assert "<h3>Title</h3>" in table and "<table>" in table
    assert "<script" not in hostile and "<img" not in hostile and 'href="javascript' not in hostile
    assert "&lt;script&gt;" in hostile
    # a student's page shows images from their (media) URLs; an unsafe one stays text
    assert '<img src="/media/ab/plan.png" alt="Floor plan"' in pictures
    assert pictures.count("<img") == 1 and "![bad](javascript:alert(1))" in pictures


def test_the_markdown_route_needs_a_token_and_a_list_of_texts(learner: Learner) -> None:
    url = learner.base_url + "/api/v1/markdown"
    assert httpx.post(url, json={"texts": ["a"]}).status_code == 401
    auth = {"Authorization": f"Bearer {make_token('alice', secret=_dev_secret(learner))}"}
    for body in ({"texts": []}, {"texts": [1]}, {"text": "a"}, ["a"]):
        refused = httpx.post(url, json=body, headers=auth)
        assert refused.status_code == 422 and "texts" in refused.json()["message"], body


def _dev_secret(learner: Learner) -> str:
    return (learner.settings.pgdata_dir.parent / "runtime-dev-secret").read_text().strip()
