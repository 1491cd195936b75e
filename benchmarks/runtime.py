"""Benchmark: the student runtime API under gunicorn, against the same endpoints written the plain Flask-SQLAlchemy way.

Set-up: 2,000 deployed modules of 12 sections, 5,000 students, about 200,000 progress rows, in a PostgreSQL of its
own (embedded). Each app runs under the same gunicorn command on 127.0.0.1 and gets the same bounded load: a
fixed number of asyncio clients (aiohttp), each sending its next request when the last one is answered, for a
fixed time per endpoint. Printed per endpoint: throughput, p50, p95, p99, the answers' statuses and the ratio to
the baseline. The baseline is the textbook Flask-SQLAlchemy code: `Module.query.filter_by(...)`, then a sections query,
serialised per request, no cache (and, for the list, a progress count per module). The 304 run also counts the
statements PostgreSQL received (log_statement), to show that revalidation needs no query per request.

Aims: module fetch >= 5x the baseline's throughput with p99 < 50 ms at 32 clients; 304 with no query per
request; a 100-event batch with p95 < 100 ms.

The experiment scenario (`--scenario experiment`, also run after the load runs) measures what a running
experiment adds to one module fetch: the demo module (examples/experiments/) with its experiment running and the
same module without it, fetched in turn by the same warm students through the real app in process (no HTTP
server, whose noise would hide a fraction of a millisecond), 200 and 304 alike. Aim: p99 under 1 ms over the
module without an experiment (with `--smoke`: 50 students, 2 rounds).

    .venv/bin/python benchmarks/runtime.py [--quick] [--clients 32] [--seconds 10] [--workers 4] [--threads 2]
    .venv/bin/python benchmarks/runtime.py --scenario experiment [--students 2000] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import importlib.util  # noqa: E402

from flask import Flask, Response, jsonify, request  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks._options import parse_args  # noqa: E402
from pipeline.db.models import Module, ModuleAnalyticsEvent, ModuleProgress, ModuleSection  # noqa: E402
from pipeline.runtime.auth import AuthConfig, TokenVerifier  # noqa: E402
from pipeline.runtime.errors import ApiError  # noqa: E402

ISSUER = "frames-benchmark"
AUDIENCE = "frames-runtime"
EVENTS_PER_BATCH = 100


# --- the baseline: the textbook way, one ORM session per request, no cache --------------------------------------------
def baseline_app() -> Flask:
    """The endpoints as a textbook Flask app writes them (gunicorn: `runtime:baseline_app()` from benchmarks/)."""
    engine = create_engine(os.environ["DATABASE_URL"], pool_size=int(os.environ.get("RUNTIME_POOL_SIZE", "8")))
    verifier = TokenVerifier(AuthConfig("HS256", AUDIENCE, ISSUER, secret=os.environ["RUNTIME_JWT_SECRET"]))
    app = Flask("baseline")

    @app.errorhandler(ApiError)
    def refused(exc: ApiError) -> Response:
        return Response(
            json.dumps({"error": exc.code, "message": exc.message}), exc.status, mimetype="application/json"
        )

    def student() -> str:
        return verifier.principal(request.headers.get("Authorization")).student_id

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/api/v1/modules/<module_id>")
    def module(module_id: str) -> Any:
        student()
        with Session(engine) as session:
            found = session.query(Module).filter_by(module_id=module_id).first()
            if found is None:
                return jsonify(error="not_found", message="no such module"), 404
            sections = (
                session.query(ModuleSection).filter_by(module_id=module_id).order_by(ModuleSection.section_number)
            )
            return jsonify(
                module_id=found.module_id,
                title=found.title,
                description=found.description,
                category=found.category,
                estimated_minutes=found.estimated_minutes,
                prerequisites=found.prerequisites,
                tags=found.tags,
                learning_objectives=found.learning_objectives,
                revision=found.revision,
                sections=[
                    {
                        "section_id": s.section_id,
                        "section_number": s.section_number,
                        "section_type": s.section_type,
                        "title": s.title,
                        "content": s.content,
                        "media_url": s.media_url,
                        "duration_seconds": s.duration_seconds,
                    }
                    for s in sections.all()
                ],
            )

    @app.get("/api/v1/modules")
    def modules() -> Any:
        me = student()
        with Session(engine) as session:
            page = session.query(Module).filter(Module.archived_at.is_(None)).order_by(Module.module_id).limit(50)
            out = []
            for m in page.all():
                total = session.query(ModuleSection).filter_by(module_id=m.module_id).count()
                done = session.query(ModuleProgress).filter_by(student_id=me, module_id=m.module_id, state="completed")
                completed = done.count()
                percent = completed * 100 // total if total else 0
                out.append({"module_id": m.module_id, "title": m.title, "revision": m.revision, "percent": percent})
            return jsonify(modules=out)

    @app.put("/api/v1/me/modules/<module_id>/sections/<section_id>/progress")
    def progress(module_id: str, section_id: str) -> Any:
        me = student()
        body = request.get_json()
        with Session(engine) as session:
            row = session.query(ModuleProgress).filter_by(student_id=me, module_id=module_id, section_id=section_id)
            found = row.first()
            if found is None:
                found = ModuleProgress(student_id=me, module_id=module_id, section_id=section_id, state=body["state"])
                session.add(found)
            elif found.state != "completed":
                found.state = body["state"]
            if body.get("score") is not None:
                found.score = max(found.score or 0, body["score"])
            session.commit()
            return jsonify(module_id=module_id, section_id=section_id, state=found.state, score=found.score)

    @app.post("/api/v1/events")
    def events() -> Any:
        me = student()
        stored = duplicates = 0
        with Session(engine) as session:
            for event in request.get_json()["events"]:
                if session.query(ModuleAnalyticsEvent).filter_by(event_uuid=event["id"]).first() is not None:
                    duplicates += 1
                    continue
                session.add(
                    ModuleAnalyticsEvent(
                        event_uuid=event["id"],
                        module_id=event["object"]["module_id"],
                        section_id=event["object"].get("section_id"),
                        student_id=me,
                        event_type=event["verb"],
                        payload=event,
                        occurred_at=datetime.fromisoformat(event["timestamp"]),
                    )
                )
                stored += 1
            session.commit()
        return jsonify(stored=stored, duplicates=duplicates, rejected=[])

    return app


# --- set-up ----------------------------------------------------------------------------------------------------------
def _load_validate_benchmark() -> Any:
    spec = importlib.util.spec_from_file_location("validate_benchmark", REPO_ROOT / "benchmarks" / "validate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def set_up(url: str, tmp: Path, modules: int, students: int) -> None:
    """Deploy `modules` generated modules; give `students` students 4 modules x 10 sections of progress each."""
    from pipeline.db.engine import engine_for, upgrade
    from pipeline.deploy.apply import deploy
    from pipeline.settings import Settings

    engine = engine_for(url)
    upgrade(engine)
    folder = _load_validate_benchmark().write_generated_tree(tmp / "data", modules, 12)
    started = time.perf_counter()
    deploy(None, Settings(database_url=url, modules_dir=folder, source_commit="bench"), engine=engine)
    print(f"set-up: deployed {modules} modules of 12 sections in {time.perf_counter() - started:.1f} s", flush=True)
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO module_progress (student_id, module_id, section_id, state, score, completed_at,
                                         completed_section_hash, completed_revision)
            SELECT 'student-' || s, s2.module_id, s2.section_id,
                   CASE WHEN n % 3 = 0 THEN 'started' ELSE 'completed' END, (s * 7 + n) % 101,
                   CASE WHEN n % 3 = 0 THEN NULL ELSE now() END, s2.content_hash, 1
            FROM generate_series(0, :students - 1) s
            CROSS JOIN generate_series(0, 3) k
            JOIN modules m ON m.module_id = 'bench-module-' || lpad(((s * 4 + k) % :modules)::text, 5, '0')
            JOIN module_sections s2 ON s2.module_id = m.module_id AND s2.section_number <= 10
            CROSS JOIN LATERAL (SELECT s2.section_number AS n) AS x
        """),
            {"students": students, "modules": modules},
        )
        conn.execute(
            text("""
            INSERT INTO module_assignments (module_id, student_id, assigned_by, due_at)
            SELECT 'bench-module-' || lpad(((s * 4) % :modules)::text, 5, '0'), 'student-' || s, 'teacher',
                   now() + interval '30 days'
            FROM generate_series(0, :students - 1) s
        """),
            {"students": students, "modules": modules},
        )
        conn.execute(text("ANALYZE"))
        rows = conn.execute(text("SELECT count(*) FROM module_progress")).scalar()
    print(f"set-up: {students} students, {rows} progress rows, {students} assignments", flush=True)
    engine.dispose()


# --- serving ---------------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_gunicorn(app: str, env: dict[str, str], workers: int, threads: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(REPO_ROOT / "benchmarks") if app.startswith("runtime:") else str(REPO_ROOT),
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise SystemExit(f"gunicorn for {app} did not start")
    time.sleep(1.0)  # let every worker finish importing
    return process, base


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


# --- load ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunResult:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


RequestMaker = Callable[[random.Random], tuple[str, str, dict[str, str], bytes | None]]


async def _load(base: str, make: RequestMaker, clients: int, seconds: float) -> RunResult:
    import aiohttp

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url=base, connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def client(seed: int) -> None:
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                method, path, headers, body = make(rng)
                started = time.perf_counter()
                async with session.request(method, path, headers=headers, data=body) as answer:
                    await answer.read()
                    statuses[answer.status] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client(seed) for seed in range(clients)))
        elapsed = time.perf_counter() - started
    return RunResult(len(latencies), elapsed, latencies, statuses)


def run_load(base: str, make: RequestMaker, clients: int, seconds: float) -> RunResult:
    return asyncio.run(_load(base, make, clients, seconds))


def scenarios(modules: int, students: int, tokens: dict[int, str], etags: dict[str, str]) -> dict[str, RequestMaker]:
    def auth(rng: random.Random) -> tuple[int, dict[str, str]]:
        s = rng.choice(list(tokens))
        return s, {"Authorization": f"Bearer {tokens[s]}"}

    def module_id(index: int) -> str:
        return f"bench-module-{index % modules:05d}"

    def fetch(rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None]:
        _, headers = auth(rng)
        return "GET", f"/api/v1/modules/{module_id(rng.randrange(modules))}", headers, None

    def revalidate(rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None]:
        _, headers = auth(rng)
        mid = module_id(rng.randrange(modules))
        return "GET", f"/api/v1/modules/{mid}", {**headers, "If-None-Match": etags.get(mid, '"none"')}, None

    def listing(rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None]:
        _, headers = auth(rng)
        return "GET", "/api/v1/modules?limit=50", headers, None

    def progress(rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None]:
        s, headers = auth(rng)
        path = f"/api/v1/me/modules/{module_id(s * 4)}/sections/section-{rng.randint(1, 12)}/progress"
        body = json.dumps({"state": rng.choice(["started", "completed"]), "score": rng.randint(0, 100)}).encode()
        return "PUT", path, {**headers, "Content-Type": "application/json"}, body

    def events(rng: random.Random) -> tuple[str, str, dict[str, str], bytes | None]:
        s, headers = auth(rng)
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        batch = [
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "verb": "viewed",
                "object": {"module_id": module_id(s * 4), "section_id": f"section-{n % 12 + 1}", "revision": 1},
                "result": {"duration": "PT30S"},
                "timestamp": now,
            }
            for n in range(EVENTS_PER_BATCH)
        ]
        return (
            "POST",
            "/api/v1/events",
            {**headers, "Content-Type": "application/json"},
            json.dumps({"events": batch}).encode(),
        )

    return {
        "module fetch (200)": fetch,
        "module fetch (304)": revalidate,
        "module list": listing,
        "progress PUT": progress,
        "events (100/batch)": events,
        "events, 4 clients": events,
    }


# --- PostgreSQL's own count of statements ----------------------------------------------------------------------------
def set_statement_logging(url: str, on: bool) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"ALTER SYSTEM SET log_statement = '{'all' if on else 'none'}'"))
        conn.execute(text("SELECT pg_reload_conf()"))
    engine.dispose()
    time.sleep(0.3)


def count_statements(log: Path, offset: int) -> Counter[str]:
    """The statements PostgreSQL logged after `offset`, by their first words."""
    with log.open("rb") as file:
        file.seek(offset)
        return Counter(
            line.split(b"statement: ", 1)[1][:60].decode(errors="replace").strip()
            for line in file
            if b"statement: " in line
        )


# --- main ------------------------------------------------------------------------------------------------------------
def experiment_overhead(url: str, tmp: Path, students: int, rounds: int) -> dict[str, float]:
    """p50/p99 in ms of fetching the demo module with its experiment running and without, and the p99 gap."""
    import jwt

    from pipeline.deploy.apply import deploy
    from pipeline.runtime import create_app
    from pipeline.settings import Settings

    demo = json.loads((REPO_ROOT / "examples" / "experiments" / "modules" / "ppe-basics.json").read_text())
    plain = {k: v for k, v in demo.items() if k != "experiments"} | {"module_id": "ppe-plain"}
    folder = tmp / "experiment-modules"
    folder.mkdir()
    (folder / "ppe-basics.json").write_text(json.dumps(demo))
    (folder / "ppe-plain.json").write_text(json.dumps(plain))
    secret = secrets.token_urlsafe(48)
    settings = Settings(database_url=url, modules_dir=folder, runtime_jwt_secret=secret, runtime_jwt_issuer=ISSUER)
    deploy([folder / "ppe-basics.json", folder / "ppe-plain.json"], settings)
    app = create_app(settings, host="127.0.0.1")
    client = app.test_client()
    expires = int(time.time()) + 3600
    headers = [
        {
            "Authorization": "Bearer "
            + jwt.encode({"sub": f"learner-{s}", "aud": AUDIENCE, "iss": ISSUER, "exp": expires}, secret)
        }
        for s in range(students)
    ]
    etags: dict[tuple[str, int], str] = {}
    for module_id in ("ppe-basics", "ppe-plain"):  # warm: every student assigned (exposure logged) and served once
        for s, header in enumerate(headers):
            answer = client.get(f"/api/v1/modules/{module_id}", headers=header)
            assert answer.status_code == 200, answer.data
            etags[(module_id, s)] = answer.headers["ETag"]
    timings: dict[str, list[float]] = {"ppe-basics": [], "ppe-plain": []}
    rng = random.Random(26)
    for _ in range(rounds):
        for s in rng.sample(range(students), students):
            pair = ["ppe-basics", "ppe-plain"]
            rng.shuffle(pair)  # alternate, so drift on a busy machine hits both alike
            revalidate = rng.random() < 0.5
            for module_id in pair:
                header = headers[s] | ({"If-None-Match": etags[(module_id, s)]} if revalidate else {})
                started = time.perf_counter_ns()
                answer = client.get(f"/api/v1/modules/{module_id}", headers=header)
                timings[module_id].append((time.perf_counter_ns() - started) / 1e6)
                assert answer.status_code == (304 if revalidate else 200)
    app.extensions["frames_runtime"].engine.dispose()

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    found = {
        f"{name} {label}": pct(values, p)
        for name, values in (("experiment", timings["ppe-basics"]), ("plain", timings["ppe-plain"]))
        for label, p in (("p50", 0.5), ("p99", 0.99))
    }
    found["p99 gap"] = found["experiment p99"] - found["plain p99"]
    found["requests"] = float(len(timings["ppe-basics"]) + len(timings["ppe-plain"]))
    return found


def print_experiment_overhead(found: dict[str, float], students: int) -> None:
    print(
        f"\nexperiment scenario ({students} warm students, {found['requests']:.0f} fetches in process, half 304): "
        f"with a running experiment p50 {found['experiment p50']:.3f} / p99 {found['experiment p99']:.3f} ms; "
        f"without p50 {found['plain p50']:.3f} / p99 {found['plain p99']:.3f} ms; "
        f"p99 gap {found['p99 gap']:+.3f} ms (aim < 1 ms)",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 modules, 500 students, 2 s per endpoint")
    parser.add_argument("--scenario", choices=("all", "experiment"), default="all")
    parser.add_argument("--modules", type=int)
    parser.add_argument("--students", type=int)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parse_args(parser, {"modules": 20, "students": 40, "seconds": 0.3, "clients": 4, "workers": 1})
    modules = args.modules or (200 if args.quick else 2000)
    students = args.students or (500 if args.quick else 5000)
    seconds = args.seconds or (2.0 if args.quick else 10.0)

    import pgserver

    tmp = Path(tempfile.mkdtemp(prefix="runtime-bench-"))
    pgdata = Path(tempfile.mkdtemp(prefix="runtime-bench-pgdata-"))
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        from pipeline.db.engine import normalize_url

        url = normalize_url(server.get_uri())
        if args.scenario == "experiment":
            from pipeline.db.engine import engine_for, upgrade

            engine = engine_for(url)
            upgrade(engine)
            engine.dispose()
            learners = 50 if args.smoke else args.students or 2000
            print_experiment_overhead(experiment_overhead(url, tmp, learners, 2 if args.smoke else 5), learners)
            return 0
        set_up(url, tmp, modules, students)
        secret = secrets.token_urlsafe(48)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "RUNTIME_JWT_SECRET": secret,
            "RUNTIME_JWT_ISSUER": ISSUER,
            "RUNTIME_ENV": "production",
            "RUNTIME_POOL_SIZE": str(args.threads),
            "PYTHONPATH": str(REPO_ROOT),
        }
        import jwt

        rng = random.Random(7)
        expires = int(time.time()) + 3600
        tokens = {
            s: jwt.encode(
                {"sub": f"student-{s}", "aud": AUDIENCE, "iss": ISSUER, "exp": expires}, secret, algorithm="HS256"
            )
            for s in rng.sample(range(students), min(students, 1000))
        }
        print(
            f"load: {args.clients} clients (aiohttp, one process), {seconds:g} s per endpoint; gunicorn "
            f"--workers {args.workers} --threads {args.threads} --worker-class gthread; {os.cpu_count()} CPUs",
            flush=True,
        )
        results: dict[str, dict[str, RunResult]] = {}
        statements: dict[str, tuple[int, int]] = {}
        for name, app in (("baseline", "runtime:baseline_app()"), ("ours", "pipeline.runtime:wsgi_app()")):
            process, base = start_gunicorn(app, env, args.workers, args.threads)
            try:
                etags = _etags(base, modules, tokens) if name == "ours" else {}
                makers = scenarios(modules, students, tokens, etags)
                # Warm-up: every worker reads (and, ours, keeps) the modules before anything is measured.
                run_load(base, makers["module fetch (200)"], args.clients, min(4.0, seconds))
                run_load(base, makers["module fetch (304)"], args.clients, min(8.0, seconds))
                results[name] = {}
                for scenario, make in makers.items():
                    if scenario == "module fetch (304)":
                        set_statement_logging(url, True)
                        offset = server.log.stat().st_size
                    clients = 4 if scenario == "events, 4 clients" else args.clients
                    results[name][scenario] = run_load(base, make, clients, seconds)
                    if scenario == "module fetch (304)":
                        set_statement_logging(url, False)
                        logged = count_statements(server.log, offset)
                        statements[name] = (sum(logged.values()), results[name][scenario].requests)
                        if name == "ours":
                            stamps = sum(n for s, n in logged.items() if "max(id) FROM module_revisions" in s)
                            first = sum(n for s, n in logged.items() if s.startswith("SELECT m.module_id"))
                            print(
                                f"304 run (ours): {stamps} deploy-stamp checks (once a second per worker), {first} "
                                "first reads of a module by a worker; the rest is their BEGIN/SELECT 1/ROLLBACK",
                                flush=True,
                            )
            finally:
                stop(process)
        report(results, statements, args.clients)
        learners = min(students, 2000)
        print_experiment_overhead(experiment_overhead(url, tmp, learners, 2 if args.quick else 5), learners)
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _etags(base: str, modules: int, tokens: dict[int, str]) -> dict[str, str]:
    """Every module's ETag, as a client that has read it before holds it."""
    import httpx

    token = next(iter(tokens.values()))
    found = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        for index in range(modules):
            module_id = f"bench-module-{index:05d}"
            found[module_id] = client.get(f"/api/v1/modules/{module_id}").headers["ETag"]
    return found


def report(results: dict[str, dict[str, RunResult]], statements: dict[str, tuple[int, int]], clients: int) -> None:
    print()
    print(
        f"{'endpoint':<20} {'ours req/s':>10} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}   "
        f"{'baseline req/s':>14} {'p50 ms':>7} {'p99 ms':>7}   {'ratio':>6}  statuses (ours | baseline)"
    )
    for scenario, ours in results["ours"].items():
        base = results["baseline"][scenario]
        print(
            f"{scenario:<20} {ours.throughput:>10.0f} {ours.percentile(0.5):>7.1f} {ours.percentile(0.95):>7.1f} "
            f"{ours.percentile(0.99):>7.1f}   {base.throughput:>14.0f} {base.percentile(0.5):>7.1f} "
            f"{base.percentile(0.99):>7.1f}   {ours.throughput / base.throughput:>5.1f}x  "
            f"{dict(ours.statuses)} | {dict(base.statuses)}"
        )
    seen, requests = statements["ours"]
    base_seen, base_requests = statements["baseline"]
    print()
    print(
        f"304 run: PostgreSQL received {seen} statements for {requests} requests (ours), {base_seen} for "
        f"{base_requests} (baseline: it has no ETag and answers 200)"
    )
    fetch, events = results["ours"]["module fetch (200)"], results["ours"]["events (100/batch)"]
    light = results["ours"]["events, 4 clients"]
    ratio = fetch.throughput / results["baseline"]["module fetch (200)"].throughput
    print(
        f"aims: fetch {ratio:.1f}x baseline (>= 5x), p99 {fetch.percentile(0.99):.1f} ms at {clients} clients "
        f"(< 50 ms), 304 statements per request {seen / max(requests, 1):.4f} (0 once warm), "
        f"100-event batch p95 {events.percentile(0.95):.1f} ms at {clients} clients, "
        f"{light.percentile(0.95):.1f} ms at 4 (< 100 ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
