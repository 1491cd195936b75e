"""Benchmark: what the durable commit of an event batch costs, against `synchronous_commit = off`.

    .venv/bin/python benchmarks/events_durability.py [--rounds 3] [--seconds 4] [--clients 4] [--smoke]

The runtime API on a real HTTP server (werkzeug, one process) over a PostgreSQL of its own (embedded); clients
post 100-event batches. Each round measures the default (durable: the commit waits for the write-ahead log) and then
the operator's opt-in (`ALTER DATABASE … SET synchronous_commit = off`, docs/runtime-api.md), alternating, so both
see the same machine. Prints p50 and p95 per round and mode, the medians over the rounds and their ratio.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import pgserver
from sqlalchemy import text

from benchmarks._options import parse_args
from pipeline.db.engine import engine_for, normalize_url, upgrade
from pipeline.deploy.apply import deploy
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.paths import copy_sample_data
from tests.runtime.live import SECRET, LiveServer, make_token

BATCH = 100


def _batch() -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "events": [
            {
                "id": str(uuid.uuid4()),
                "verb": "viewed",
                "object": {"module_id": "lab-safety-101", "section_id": "welcome", "revision": 1},
                "result": {"duration": "PT30S"},
                "timestamp": now,
            }
            for _ in range(BATCH)
        ]
    }


def _load(settings: Settings, seconds: float, clients: int) -> list[float]:
    """Milliseconds per batch, `clients` posting for `seconds` to a fresh server (fresh connections)."""
    api = LiveServer(create_app(settings, host="127.0.0.1"))
    times: list[float] = []
    stop = time.monotonic() + seconds

    def post(student: str) -> None:
        headers = {"Authorization": f"Bearer {make_token(student)}"}
        with httpx.Client(base_url=api.base_url, headers=headers, timeout=30) as client:
            while time.monotonic() < stop:
                started = time.perf_counter()
                answer = client.post("/api/v1/events", json=_batch())
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200 and answer.json()["stored"] == BATCH, answer.text

    threads = [threading.Thread(target=post, args=(f"learner-{n}",)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    api.close()
    return sorted(times)


def _p95(times: list[float]) -> float:
    return times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parse_args(parser, {"rounds": 1, "seconds": 0.5, "clients": 2})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="events-durability-") as work:
        data = copy_sample_data(Path(work) / "data")
        server = pgserver.get_server(Path(work) / "pgdata", cleanup_mode="stop")
        try:
            url = normalize_url(server.get_uri())
            engine = engine_for(url)
            upgrade(engine)
            settings = Settings(database_url=url, modules_dir=data / "modules", runtime_jwt_secret=SECRET)
            settings = settings.with_overrides(runtime_pool_size=args.clients)
            deploy(None, settings)
            p95s: dict[str, list[float]] = {"durable": [], "synchronous_commit=off": []}
            for number in range(1, args.rounds + 1):
                for mode, value in (("durable", "on"), ("synchronous_commit=off", "off")):
                    with engine.begin() as conn:  # new connections (a fresh server's pool) take it
                        database = conn.execute(text("SELECT current_database()")).scalar()
                        conn.execute(text(f'ALTER DATABASE "{database}" SET synchronous_commit = {value}'))
                    engine.dispose()
                    with engine.connect() as conn:
                        assert conn.execute(text("SHOW synchronous_commit")).scalar() == value
                    times = _load(settings, args.seconds, args.clients)
                    p95s[mode].append(_p95(times))
                    print(
                        f"round {number} {mode:24} batches {len(times):5}  p50 {statistics.median(times):6.1f} ms  "
                        f"p95 {_p95(times):6.1f} ms",
                        flush=True,
                    )
            engine.dispose()
        finally:
            server.cleanup()
    durable, fast = statistics.median(p95s["durable"]), statistics.median(p95s["synchronous_commit=off"])
    print(
        f"median p95 of {BATCH}-event batches at {args.clients} clients: durable {durable:.1f} ms, "
        f"synchronous_commit=off {fast:.1f} ms, ratio {durable / fast:.2f} (aim: durable p95 < 100 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
