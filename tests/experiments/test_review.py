"""The review comment says when a PR starts, changes (refused) or concludes an experiment; the learner impact
counts the learners in each arm, suppressing arms of fewer than 10."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from pipeline.db.engine import engine_for
from pipeline.module.experiments import conclude_experiment
from pipeline.review.comment import ReviewedModule, render_review_comment
from pipeline.review.impact import assess_impact
from pipeline.settings import Settings
from tests.experiments.conftest import DEMO


def _comment(base: dict | None, head: dict | None) -> str:
    module = ReviewedModule("ppe-basics", base, head)
    return render_review_comment([module], None, asset_url=lambda url: url, preview_url=None)


def test_the_comment_says_a_pr_starts_an_experiment() -> None:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    without = {k: v for k, v in demo.items() if k != "experiments"}
    said = _comment(without, demo)
    assert (
        "**Experiment `ppe-video-vs-text` starts**: arms Original 50%, Video 50% on `choosing-ppe`; "
        "measured by quiz pass of `ppe-check`." in said
    )


def test_the_comment_warns_that_a_change_to_a_running_experiment_is_refused() -> None:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    changed = json.loads(DEMO.read_text(encoding="utf-8"))
    changed["experiments"][0]["arms"][0]["weight"], changed["experiments"][0]["arms"][1]["weight"] = 70, 30
    said = _comment(demo, changed)
    assert "**Experiment `ppe-video-vs-text` changes while running: validate refuses this.**" in said


def test_the_comment_says_a_pr_concludes_an_experiment() -> None:
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    said = _comment(demo, conclude_experiment(demo, "ppe-video-vs-text", "video"))
    assert "**Experiment `ppe-video-vs-text` concluded**" in said
    assert "Changed (content, media_url, section_type): 2. Choosing your PPE" in said


def test_learner_impact_counts_the_learners_in_each_arm(demo_deployed: Settings, tmp_path: Path) -> None:
    engine = engine_for(demo_deployed.database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiment_assignments (module_id, experiment_id, student_id, arm, revision, "
                "stamped_sections) SELECT 'ppe-basics', 'ppe-video-vs-text', 'l' || n, "
                "CASE WHEN n <= 14 THEN 'control' ELSE 'video' END, 1, ARRAY['choosing-ppe'] "
                "FROM generate_series(1, 20) n"
            )
        )
    engine.dispose()
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    (demo_deployed.modules_dir / DEMO.name).write_text(
        json.dumps(conclude_experiment(demo, "ppe-video-vs-text", "video")), encoding="utf-8"
    )

    report = assess_impact([demo_deployed.modules_dir / DEMO.name], demo_deployed)

    (module,) = report.modules
    assert [(a.arm, a.learners) for a in module.arms] == [("control", 14), ("video", None)]
    assert "experiment arms: ppe-video-vs-text: control 14, video fewer than 10" in "\n".join(report.lines())
    said = render_review_comment(
        [ReviewedModule("ppe-basics", demo, None)], report, asset_url=lambda url: url, preview_url=None
    )
    assert "| learners in each arm | ppe-video-vs-text: control 14, video fewer than 10 |" in said


def test_the_preview_shows_each_arm_s_section_as_its_learners_will_see_it(tmp_path: Path) -> None:
    from pipeline.preview.html import render_module_page

    page = render_module_page(json.loads(DEMO.read_text(encoding="utf-8")))

    assert "Experiment <code>ppe-video-vs-text</code></strong> (running)" in page
    assert "Original (control, 50%), Video (video, 50%)" in page
    assert page.count("Choosing your PPE") == 2 and "choosing-ppe.mp4" in page
