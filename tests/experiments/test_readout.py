"""The read-out of a seeded experiment with a known effect, driven through the real API, matches a reference
computation; a planted 60/40 split on a 50/50 experiment is called broken; small arms stay suppressed."""

from __future__ import annotations

import json
import math
import random

import pytest
from scipy import integrate, stats
from sqlalchemy import text

from pipeline.cli import main
from pipeline.db.engine import engine_for
from pipeline.deploy.apply import deploy
from pipeline.experiments.readout import ArmCounts, needed_per_arm, read_out
from pipeline.experiments.report import report_experiments
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.experiments.conftest import DEMO
from tests.runtime.live import LiveServer

MODULE = "/api/v1/modules/ppe-basics"
RATES = {"text": 0.30, "video": 0.60}  # the planted effect: the video doubles completion


def _deploy_measuring_completion(settings: Settings) -> None:
    document = json.loads(DEMO.read_text(encoding="utf-8"))
    document["experiments"][0]["metric"] = {"kind": "section_completion", "section_id": "choosing-ppe"}
    (settings.modules_dir / DEMO.name).write_text(json.dumps(document), encoding="utf-8")
    deploy(None, settings)


def _wilson(successes: int, n: int) -> tuple[float, float]:
    z = stats.norm.ppf(0.975)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _probability_beats(a: tuple[int, int], b: tuple[int, int]) -> float:
    """P(rate_b > rate_a) under Beta(1,1) priors, by numeric integration (the report draws Monte Carlo samples)."""
    prior_a, prior_b = stats.beta(1 + a[0], 1 + a[1] - a[0]), stats.beta(1 + b[0], 1 + b[1] - b[0])
    return integrate.quad(lambda x: prior_b.pdf(x) * prior_a.cdf(x), 0, 1, limit=200)[0]


def test_a_seeded_experiment_reads_out_as_the_reference_computation(demo_settings: Settings) -> None:
    _deploy_measuring_completion(demo_settings)
    server = LiveServer(create_app(demo_settings, host="127.0.0.1"))
    rng = random.Random(2026)
    truth: dict[str, list[int]] = {"control": [0, 0], "video": [0, 0]}
    try:
        for number in range(240):
            with server.client(f"learner-{number}") as client:
                section = next(s for s in client.get(MODULE).json()["sections"] if s["section_id"] == "choosing-ppe")
                arm = "video" if section["section_type"] == "video" else "control"
                truth[arm][1] += 1
                if rng.random() < RATES[section["section_type"]]:
                    truth[arm][0] += 1
                    put = client.put(
                        "/api/v1/me/modules/ppe-basics/sections/choosing-ppe/progress", json={"state": "completed"}
                    )
                    assert put.status_code == 200
    finally:
        server.close()
    report = report_experiments(demo_settings, "ppe-video-vs-text", "json")
    readout = json.loads(report.lines()[0])["experiments"][0]
    arms = {a["arm_id"]: a for a in readout["arms"]}
    for arm_id, (converted, exposed) in truth.items():
        assert (arms[arm_id]["converted"], arms[arm_id]["exposed"]) == (converted, exposed)
        assert arms[arm_id]["interval"] == pytest.approx(_wilson(converted, exposed), abs=1e-9)
    (c0, n0), (c1, n1) = truth["control"], truth["video"]
    _, p_reference, _, _ = stats.chi2_contingency([[c0, n0 - c0], [c1, n1 - c1]], correction=False)
    comparison = readout["comparisons"][0]
    assert comparison["p_value"] == pytest.approx(p_reference, rel=1e-9)
    difference = c1 / n1 - c0 / n0
    spread = math.sqrt((c0 / n0) * (1 - c0 / n0) / n0 + (c1 / n1) * (1 - c1 / n1) / n1)
    assert comparison["difference"] == pytest.approx(difference)
    assert comparison["interval"] == pytest.approx([difference - 1.959964 * spread, difference + 1.959964 * spread])
    assert comparison["probability_beats_control"] == pytest.approx(_probability_beats((c0, n0), (c1, n1)), abs=0.005)
    assert readout["srm_p_value"] == pytest.approx(stats.chisquare([n0, n1]).pvalue)
    assert p_reference < 0.01  # the planted effect is there...
    assert readout["verdict"].startswith(f"not enough learners yet: {min(n0, n1)} per arm")  # ...but not called yet


def test_a_planted_60_40_split_on_a_50_50_experiment_is_called_broken(demo_deployed: Settings) -> None:
    engine = engine_for(demo_deployed.database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO experiment_assignments (module_id, experiment_id, student_id, arm, revision, "
                "stamped_sections) SELECT 'ppe-basics', 'ppe-video-vs-text', 'planted-' || n, "
                "CASE WHEN n <= 600 THEN 'control' ELSE 'video' END, 1, ARRAY['choosing-ppe'] "
                "FROM generate_series(1, 1000) n"
            )
        )
    engine.dispose()
    lines = report_experiments(demo_deployed, "ppe-video-vs-text").lines()
    verdict = next(line for line in lines if line.startswith("verdict:"))
    assert "the assignment is broken" in verdict and "no verdict" in verdict
    assert any("BROKEN" in line for line in lines)


def test_the_report_command_prints_markdown_and_suppresses_arms_under_ten(
    demo_deployed: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = LiveServer(create_app(demo_deployed, host="127.0.0.1"))
    try:
        for number in range(6):
            with server.client(f"few-{number}") as client:
                client.get(MODULE)
    finally:
        server.close()
    monkeypatch.setenv("DATABASE_URL", demo_deployed.database_url)
    assert main(["experiments", "report", "ppe-basics/ppe-video-vs-text", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| Original \\(control, 50%\\) | fewer than 10 |" in out
    assert "fewer than 10 in an arm" in out
    assert main(["experiments", "report", "no-such-experiment"]) == 2
    assert "no deployed experiment 'no-such-experiment'" in capsys.readouterr().err


def test_the_sample_size_advice_is_the_textbook_one() -> None:
    assert needed_per_arm(0.5) == 385  # (1.96 + 0.84)² · (0.5·0.5 + 0.6·0.4) / 0.1², rounded up
    small = read_out("m", "e", "running", "metric", [ArmCounts("a", "A", 50, 46, 20), ArmCounts("b", "B", 50, 46, 30)])
    assert small.verdict == (
        "not enough learners yet: 46 per arm; about 389 per arm are needed to see a 10-point difference, "
        "so no winner can be named"
    )
    big = read_out(
        "m", "e", "running", "metric", [ArmCounts("a", "A", 50, 500, 200), ArmCounts("b", "B", 50, 500, 300)]
    )
    assert big.verdict.startswith("'B' does better than 'A': +20.0 points")
    same = read_out(
        "m", "e", "running", "metric", [ArmCounts("a", "A", 50, 500, 200), ArmCounts("b", "B", 50, 500, 205)]
    )
    assert same.verdict.startswith("no difference found with 500 learners per arm")


def test_commands_say_what_is_wrong_without_a_traceback(
    empty_database, database_url: str, tmp_path, monkeypatch, capsys
) -> None:
    (tmp_path / DEMO.name).write_bytes(DEMO.read_bytes())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODULES_DIR", str(tmp_path))
    assert main(["experiments", "report"]) == 1  # not migrated: a DatabaseError (exit 1), not a traceback
    assert "run `python -m pipeline db upgrade` first" in capsys.readouterr().err
    assert main(["experiments", "conclude", "ppe-video-vs-text", "--keep", "audio"]) == 2
    assert "has no arm 'audio'; keep one of: control, video" in capsys.readouterr().err
    assert main(["experiments", "conclude", "nothing-here", "--keep", "video"]) == 2
    assert "declares experiment 'nothing-here'" in capsys.readouterr().err
