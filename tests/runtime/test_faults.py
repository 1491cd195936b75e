"""The fault run's smoke mode: the database stopped, then killed under load, and nothing acknowledged is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.faults import run_fault

pytestmark = pytest.mark.slow


def test_under_load_a_stopped_then_killed_database_loses_no_acknowledged_event(tmp_path: Path) -> None:
    report = run_fault(6.0, tmp_path)

    assert set(report.statuses) <= {200, 503}, report.lines()  # no 500, no traceback in gunicorn's log
    assert report.statuses[503] > 0 and report.unlabelled_503s == 0, report.lines()
    assert set(report.last_phase_statuses) == {200}, report.lines()  # recovered without a restart
    assert len(report.acknowledged) > 100, report.lines()
    assert report.lost == set(), report.lines()  # acknowledged = stored
