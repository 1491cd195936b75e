"""Deploys that overlap or die half-way: the advisory lock serialises them, the transaction undoes them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text

from pipeline.deploy.apply import DeployResult, deploy
from pipeline.settings import Settings
from tests.module_builders import edit_module
from tests.paths import REPO_ROOT
from tests.sql import scalar, snapshot


def test_two_deploys_started_at_once_end_as_one_after_the_other(settings: Settings, migrated_engine: Engine) -> None:
    barrier = threading.Barrier(2)
    results: list[DeployResult] = []

    def run() -> None:
        barrier.wait()
        results.append(deploy(None, settings))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.plan.summary() for r in results) == [
        "0 added, 0 updated, 3 unchanged, 0 archived",
        "3 added, 0 updated, 0 unchanged, 0 archived",
    ]
    assert scalar(migrated_engine, "SELECT count(*) FROM module_revisions") == 3
    assert scalar(migrated_engine, "SELECT count(*) FROM notion_writeback") == 3
    assert scalar(migrated_engine, "SELECT max(revision) FROM modules") == 1


def _start_deploy_blocked_mid_way(settings: Settings, engine: Engine) -> tuple[subprocess.Popen, int, Callable]:
    """Run `python -m pipeline deploy` while the outbox table is locked: it writes modules, sections and
    revisions, then waits inside its transaction. Returns the process, its backend pid and the unblocker."""
    blocker = engine.connect()
    blocking = blocker.begin()
    blocker.execute(text("LOCK TABLE notion_writeback IN ACCESS EXCLUSIVE MODE"))
    env = {**os.environ, "DATABASE_URL": settings.database_url, "MODULES_DIR": str(settings.modules_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "deploy"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    backend = None
    while backend is None and time.monotonic() < deadline:
        backend = scalar(
            engine,
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%INSERT INTO notion_writeback%'",
        )
        time.sleep(0.05)
    if backend is None:
        process.kill()
        blocking.rollback()
        pytest.fail(f"the deploy never reached the outbox insert: {process.communicate()}")

    def unblock() -> None:
        blocking.rollback()
        blocker.close()

    return process, backend, unblock


def _change_two_modules(settings: Settings) -> None:
    edit_module(settings.modules_dir / "lab-safety-101.json", title="Lab Safety, revised")
    (settings.modules_dir / "first-pull-request.json").unlink()


def test_a_connection_killed_mid_deploy_changes_nothing_and_a_rerun_completes(
    settings: Settings, migrated_engine: Engine
) -> None:
    deploy(None, settings)
    _change_two_modules(settings)
    before = snapshot(migrated_engine)
    process, backend, unblock = _start_deploy_blocked_mid_way(settings, migrated_engine)
    assert (
        scalar(migrated_engine, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = :p", p=backend)
        == 1
    )

    scalar(migrated_engine, "SELECT pg_terminate_backend(:p)", p=backend)
    unblock()
    _, err = process.communicate(timeout=60)

    assert process.returncode == 1
    assert "rolled back (nothing changed)" in err and "Traceback" not in err
    assert snapshot(migrated_engine) == before
    rerun = deploy(None, settings)
    assert rerun.plan.summary() == "0 added, 1 updated, 1 unchanged, 1 archived"


def test_a_deploy_process_killed_mid_deploy_changes_nothing_and_a_rerun_completes(
    settings: Settings, migrated_engine: Engine
) -> None:
    deploy(None, settings)
    _change_two_modules(settings)
    before = snapshot(migrated_engine)
    process, _, unblock = _start_deploy_blocked_mid_way(settings, migrated_engine)

    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    unblock()

    assert snapshot(migrated_engine) == before
    rerun = deploy(None, settings)  # waits for the orphaned backend to give up its lock, then runs
    assert rerun.plan.summary() == "0 added, 1 updated, 1 unchanged, 1 archived"
    assert (
        scalar(migrated_engine, "SELECT title FROM modules WHERE module_id = 'lab-safety-101'") == "Lab Safety, revised"
    )
