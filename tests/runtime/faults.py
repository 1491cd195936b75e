"""The fault run: the runtime API under gunicorn and load while its PostgreSQL is stopped cleanly, then killed.

Several clients post event batches (resending a batch after a 503 or a dropped connection, as a client does),
write progress and read modules. Meanwhile the database is stopped (`pg_ctl -m fast`) and started, then killed
(`pg_ctl -m immediate`: no checkpoint, no flush, as a crash) and started. What counts:
- no answer is a 500; while the database is down the answers are 503 with Retry-After;
- the API recovers by itself (no restart): the last part of the run is all 200s;
- every event answered as stored (or as a duplicate of a stored one) is in the table: acknowledged = stored.

`benchmarks/runtime_faults.py` runs it for 30 s; the test suite runs its `--smoke` (6 s), which exits 1 unless
all of these hold.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pgserver

from pipeline.db.engine import engine_for, normalize_url, upgrade
from pipeline.deploy.apply import deploy
from pipeline.settings import Settings
from tests.paths import copy_sample_data
from tests.runtime.live import ISSUER, SECRET, make_token
from tests.webhook.gunicorn_server import RUNTIME_COMMAND, start_gunicorn

BATCH = 20
# Share of the run in each phase: up, stopped cleanly, up, killed, up (the last share must be all 200s).
PHASES = (("up", 0.2), ("stopped", 0.15), ("up", 0.2), ("killed", 0.15), ("up", 0.3))


@dataclass
class FaultReport:
    """What the clients saw and what the database kept."""

    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    unlabelled_503s: int = 0  # 503 without Retry-After
    dropped: int = 0  # connections the server closed mid-request (the worker's database connection was killed)
    acknowledged: set[str] = field(default_factory=set)
    stored: set[str] = field(default_factory=set)
    last_phase_statuses: Counter[int] = field(default_factory=Counter)

    @property
    def lost(self) -> set[str]:
        return self.acknowledged - self.stored

    @property
    def ok(self) -> bool:
        return (
            set(self.statuses) <= {200, 503}
            and self.statuses[503] > 0
            and not self.unlabelled_503s
            and set(self.last_phase_statuses) == {200}
            and not self.lost
        )

    def lines(self) -> list[str]:
        return [
            f"fault run of {self.seconds:.0f} s: answers {dict(sorted(self.statuses.items()))}, "
            f"{self.dropped} dropped connections, {self.unlabelled_503s} 503s without Retry-After",
            f"last phase (database up again, no restart): {dict(sorted(self.last_phase_statuses.items()))}",
            f"events acknowledged {len(self.acknowledged)}, stored {len(self.stored & self.acknowledged)}, "
            f"lost {len(self.lost)}",
            "ok" if self.ok else "FAILED",
        ]


def _event() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "verb": "viewed",
        "object": {"module_id": "lab-safety-101", "section_id": "welcome", "revision": 1},
        "timestamp": datetime.now(UTC).isoformat(),
    }


def run_fault(seconds: float, work_dir: Path, clients: int = 4, workers: int = 2) -> FaultReport:
    """Run the fault scenario for `seconds` against a PostgreSQL of its own under `work_dir`."""
    data = copy_sample_data(work_dir / "data")
    pgdata = Path(tempfile.mkdtemp(prefix="runtime-faults-pgdata-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        url = normalize_url(server.get_uri())
        engine = engine_for(url)
        upgrade(engine)
        deploy(None, Settings(database_url=url, modules_dir=data / "modules"))
        report = _under_load(server, url, seconds, work_dir, clients, workers)
        report.stored = {str(row[0]) for row in _rows(engine, "SELECT event_uuid FROM module_analytics_events")}
        engine.dispose()
        return report
    finally:
        _start(server)
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


def _rows(engine: Any, sql: str) -> list[Any]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return list(conn.execute(text(sql)).all())


def _pg_ctl(server: Any, mode: str) -> None:
    pgserver.pg_ctl(["-w", "-m", mode, "stop"], pgdata=server.pgdata, user=server.system_user)


def _start(server: Any) -> None:
    with server._lock:  # pgserver's own start-if-not-running, as get_server uses it
        server.ensure_postgres_running()


def _under_load(server: Any, url: str, seconds: float, work_dir: Path, clients: int, workers: int) -> FaultReport:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(work_dir),
        "DATABASE_URL": url,
        "RUNTIME_JWT_SECRET": SECRET,
        "RUNTIME_JWT_ISSUER": ISSUER,
        "RUNTIME_POOL_SIZE": "2",
    }
    api = start_gunicorn(env, work_dir / "gunicorn.log", [*RUNTIME_COMMAND, "--workers", str(workers)])
    report = FaultReport(seconds)
    lock = threading.Lock()
    stop = threading.Event()
    last_phase = threading.Event()

    def record(status: int, retry_after: str | None) -> None:
        with lock:
            report.statuses[status] += 1
            if status == 503 and not retry_after:
                report.unlabelled_503s += 1
            if last_phase.is_set():
                report.last_phase_statuses[status] += 1

    def post_events(student: str) -> None:
        headers = {"Authorization": f"Bearer {make_token(student)}"}
        with httpx.Client(base_url=api.url, headers=headers, timeout=30) as client:
            while not stop.is_set():
                batch = [_event() for _ in range(BATCH)]
                while not stop.is_set():  # a client resends its batch until it gets an answer
                    try:
                        answer = client.post("/api/v1/events", json={"events": batch})
                    except httpx.TransportError:
                        with lock:
                            report.dropped += 1
                        time.sleep(0.05)
                        continue
                    record(answer.status_code, answer.headers.get("Retry-After"))
                    if answer.status_code == 200:
                        refused = {r["id"] for r in answer.json()["rejected"]}
                        with lock:
                            report.acknowledged.update(e["id"] for e in batch if e["id"] not in refused)
                        break
                    time.sleep(0.05)  # Retry-After says 5 s; a short run cannot wait that long

    def other_requests(student: str) -> None:
        headers = {"Authorization": f"Bearer {make_token(student)}"}
        with httpx.Client(base_url=api.url, headers=headers, timeout=30) as client:
            while not stop.is_set():
                for method, path in (
                    ("PUT", "/api/v1/me/modules/lab-safety-101/sections/welcome/progress"),
                    ("GET", "/api/v1/modules/lab-safety-101"),
                    ("GET", "/api/v1/modules"),
                ):
                    try:
                        answer = client.request(method, path, json={"state": "started"} if method == "PUT" else None)
                    except httpx.TransportError:
                        with lock:
                            report.dropped += 1
                        continue
                    record(answer.status_code, answer.headers.get("Retry-After"))
                time.sleep(0.02)

    threads = [threading.Thread(target=post_events, args=(f"learner-{n}",)) for n in range(clients)]
    threads.append(threading.Thread(target=other_requests, args=("reader",)))
    try:
        for thread in threads:
            thread.start()
        for number, (phase, share) in enumerate(PHASES):
            if phase == "stopped":
                _pg_ctl(server, "fast")
            elif phase == "killed":
                _pg_ctl(server, "immediate")
            if number == len(PHASES) - 1:
                time.sleep(min(1.0, share * seconds / 3))  # the pools notice the new server, then all must be 200
                last_phase.set()
            time.sleep(share * seconds)
            if phase != "up":
                _start(server)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        log = api.stop()
    if "Traceback" in log:
        report.statuses[-1] += 1  # a traceback in gunicorn's log fails the run as a 500 would
    return report
