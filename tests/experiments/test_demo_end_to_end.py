"""The demo experiment end to end on the embedded defaults: declared in the file, served to scripted learners,
read out, and concluded by a reviewed PR (fake GitHub) with the read-out on the Notion page (fake Notion);
after the merge every learner keeps their progress and sees the kept arm."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

from sqlalchemy import text

from pipeline.db.engine import engine_for
from pipeline.deploy.apply import deploy
from pipeline.experiments.conclude import conclude
from pipeline.experiments.report import report_experiments
from pipeline.runtime import create_app
from pipeline.runtime.experiments import served_arm
from pipeline.settings import Settings
from tests.experiments.conftest import DEMO
from tests.experiments.notion_page import DEMO_PAGE_ID, add_demo_page
from tests.runtime.live import LiveServer

MODULE = "/api/v1/modules/ppe-basics"
PASS_RATE = {"text": 0.5, "video": 0.8}


def _record_attempt(settings: Settings, student: str, passed: bool) -> None:
    """A graded quiz attempt as the attempts route stores it, stamped by the server with the arm it served."""
    engine = engine_for(settings.database_url)
    try:
        with engine.begin() as conn:
            arm = served_arm(conn, student, "ppe-basics", "ppe-check")
            assert arm is not None
            conn.execute(
                text(
                    "INSERT INTO module_attempts (client_attempt_id, student_id, module_id, section_id, revision, "
                    "attempt_number, score, passed, questions, answers, experiment_id, arm) VALUES (:id, :s, "
                    "'ppe-basics', 'ppe-check', 1, 1, :score, :passed, '[]', '{}', :experiment, :arm)"
                ),
                {
                    "id": str(uuid.uuid4()),
                    "s": student,
                    "score": 100 if passed else 50,
                    "passed": passed,
                    "experiment": arm.experiment_id,
                    "arm": arm.arm,
                },
            )
    finally:
        engine.dispose()


def test_the_demo_experiment_runs_from_file_to_merged_conclusion(
    demo_settings: Settings, github_fake, notion_fake, tmp_path: Path
) -> None:
    # declared: the demo file is on main and deployed
    github_fake.commit_file("data/modules/ppe-basics.json", DEMO.read_bytes())
    _, data_source_id = notion_fake.add_module_library()
    add_demo_page(notion_fake, data_source_id)
    deploy(None, demo_settings)
    # served to scripted learners, who read the first section and take the quiz
    server = LiveServer(create_app(demo_settings, host="127.0.0.1"))
    rng = random.Random(7)
    arms: dict[str, str] = {}
    try:
        for number in range(60):
            student = f"demo-learner-{number}"
            with server.client(student) as client:
                body = client.get(MODULE).json()
                kind = next(s["section_type"] for s in body["sections"] if s["section_id"] == "choosing-ppe")
                arms[student] = kind
                progress = client.put(
                    "/api/v1/me/modules/ppe-basics/sections/why-ppe/progress", json={"state": "completed"}
                )
                assert progress.status_code == 200
            _record_attempt(demo_settings, student, rng.random() < PASS_RATE[kind])
    finally:
        server.close()
    assert set(arms.values()) == {"text", "video"}
    # read out
    readout = report_experiments(demo_settings, "ppe-video-vs-text", "json")
    result = json.loads(readout.lines()[0])["experiments"][0]
    assert sum(arm["exposed"] for arm in result["arms"]) == 60
    assert result["verdict"].startswith("not enough learners yet")
    # concluded by a PR, the read-out in its body and on the Notion page
    settings = demo_settings.with_overrides(
        **{k: v for k, v in github_fake.settings().__dict__.items() if k.startswith("github_")},
        notion_token=notion_fake.token,
        notion_base_url=notion_fake.base_url,
        notion_requests_per_second=200.0,
        notion_retry_seconds=0.01,
    )
    report = conclude("ppe-video-vs-text", "video", settings)
    assert report.ok, report.lines()
    (pull,) = [p for p in github_fake.pulls() if p["head"]["ref"] == "experiment/ppe-basics"]
    assert "Concludes experiment `ppe-video-vs-text`, keeping arm **Video**" in pull["body"]
    assert "| arm | learners |" in pull["body"] and "not enough learners yet" in pull["body"]
    proposed = json.loads(github_fake.read_file("data/modules/ppe-basics.json", "experiment/ppe-basics"))
    assert "experiments" not in proposed
    section = next(s for s in proposed["sections"] if s["section_id"] == "choosing-ppe")
    assert (section["section_type"], section["media_url"]) == (
        "video",
        "https://media.frames-lms.org/videos/choosing-ppe.mp4",
    )
    comments = notion_fake.comments[str(uuid.UUID(DEMO_PAGE_ID))]
    said = json.dumps(comments, ensure_ascii=False)
    assert "Learner insights" in said and "keeping 'Video'" in said and "demo-learner" not in said
    # merged and deployed: everyone sees the video, and keeps their progress
    github_fake.merge(pull["number"])
    merged = github_fake.checkout(tmp_path / "main")
    deploy(None, demo_settings.with_overrides(modules_dir=merged / "data" / "modules"))
    server = LiveServer(create_app(demo_settings, host="127.0.0.1"))
    try:
        control_student = next(s for s, kind in arms.items() if kind == "text")
        with server.client(control_student) as client:
            body = client.get(MODULE).json()
            progress = client.get("/api/v1/me/modules/ppe-basics/progress").json()
    finally:
        server.close()
    assert next(s for s in body["sections"] if s["section_id"] == "choosing-ppe")["section_type"] == "video"
    assert "completed" in json.dumps(progress)
