"""Shared fixtures: the real PostgreSQL, the Notion and GitHub fakes, and sample data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as settings_profiles

from tests.paths import copy_sample_data

# Property tests explore new random inputs on every developer run; in CI (CI=true) they replay a fixed sequence, so
# a run's verdict depends on the change, not on the draw. A failure found locally is fixed, then kept as a case.
settings_profiles.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings_profiles.load_profile("ci")


@pytest.fixture
def module_tree(tmp_path: Path) -> Path:
    """A temporary data/ holding the samples from examples/ (modules, assets) and the schema; returns its modules."""
    return copy_sample_data(tmp_path) / "modules"


# --- database ---
# A real PostgreSQL for every database test: DATABASE_URL when set, else one embedded server (pgserver) per
# session. Each xdist worker gets its own database; each test gets an empty `public` schema.


@pytest.fixture(scope="session")
def database_url():
    """psycopg2 URL of a database this test session (worker) owns."""
    import os
    import shutil
    import tempfile

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from pipeline.db.engine import normalize_url

    server = None
    if os.environ.get("DATABASE_URL"):
        admin_url = normalize_url(os.environ["DATABASE_URL"])
    else:
        import pgserver

        # Not under pytest's basetemp: a concurrent pytest run may prune that while the server still uses it.
        pgdata = Path(tempfile.mkdtemp(prefix="pipeline-test-pgdata-"))
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        admin_url = normalize_url(server.get_uri())
    name = f"pipeline_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    # NullPool: tests kill backends on purpose; a pooled admin connection would not survive to the teardown.
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    from sqlalchemy.engine import make_url

    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    if server is not None:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


@pytest.fixture
def empty_database(database_url: str):
    """An Engine on the session database with an empty `public` schema (no tables, no migrations)."""
    from sqlalchemy import text

    from pipeline.db.engine import engine_for

    engine = engine_for(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    yield engine
    engine.dispose()


@pytest.fixture
def migrated_engine(empty_database):
    """An Engine on a freshly migrated, empty runtime schema."""
    from pipeline.db.engine import upgrade

    upgrade(empty_database)
    return empty_database


@pytest.fixture
def settings(migrated_engine, database_url: str, module_tree: Path):
    """Settings for a deploy of the copied data/modules into the freshly migrated test database (folders that
    test other stages define their own `settings`)."""
    from pipeline.settings import Settings

    return Settings(
        database_url=database_url,
        modules_dir=module_tree,
        source_commit="c0ffee" * 6 + "abcd",
        media_dir=module_tree.parent.parent / "media",  # the local media store, inside the test's folder
    )


# --- notion fake ---
@pytest.fixture(scope="session")
def _notion_fake_server():
    from tests.fakes.notion_server import NotionFake

    fake = NotionFake()
    yield fake
    fake.close()


@pytest.fixture
def notion_fake(_notion_fake_server):
    """The fake Notion API (fresh state each test): .base_url, .token, builders (add_module_library, add_page,
    edit_block, set_status…), fault injection (rate_limit, inject, expire_files) and the request .log."""
    _notion_fake_server.reset()
    return _notion_fake_server


# --- github fake ---
@pytest.fixture(scope="session")
def _github_server():
    from tests.fakes.github_server import FakeGitHub

    server = FakeGitHub()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _sample_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data/ with the samples, for seeding the fake GitHub (read only)."""
    return copy_sample_data(tmp_path_factory.mktemp("sample-repo"))


@pytest.fixture
def github_fake(_github_server, _sample_data: Path):
    """The fake GitHub (fresh state) with `owner/frames` whose main holds data/ with the samples (as module_tree)."""
    from tests.fakes.github_fixture import GitHubFake

    _github_server.reset()
    fake = GitHubFake(_github_server)
    fake.seed(_sample_data)
    return fake


# --- object storage ---
# The S3 wire protocol for real: moto's server on 127.0.0.1 (an ephemeral port), reached through boto3.


@pytest.fixture(scope="session")
def s3_server():
    """`http://127.0.0.1:PORT` of moto's S3 server, for this session (worker); dummy credentials in the env."""
    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(name, value)
    os.environ.setdefault("AWS_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: str, request: pytest.FixtureRequest) -> str:
    """A new, empty bucket on the S3 test server (named after the test)."""
    import re
    import uuid

    import boto3

    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-") + "-" + uuid.uuid4().hex[:8]
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=name)
    return name


# --- browser ---
@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session (tests/preview, tests/learner)."""
    from tests.chromium import launch_chromium

    yield from launch_chromium()
