"""The read-only role of docs/operations.md, created on the real PostgreSQL: impact works with it, writes do not."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from pipeline.db.engine import engine_for
from pipeline.review.impact import assess_impact
from pipeline.settings import Settings
from tests.paths import REPO_ROOT
from tests.review.learners import change_the_modules
from tests.sql import execute

PASSWORD = "a-long-random-password"


def documented_sql() -> list[str]:
    """The statements of the role's SQL block in the operations guide."""
    guide = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split(". Learner impact and migration rehearsal")[1]
    block = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert block, "docs/operations.md (learner impact) has no ```sql block"
    return [s.strip() for s in block[1].split(";") if s.strip()]


@pytest.fixture
def readonly_url(learners: Engine, database_url: str) -> Iterator[str]:
    """The documented role (named per test worker: roles are shared by the whole server), and its URL."""
    role = f"frames_review_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    database = make_url(database_url).database or ""
    with learners.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
    for statement in documented_sql():
        statement = statement.replace("frames_review", role).replace("DATABASE frames", f'DATABASE "{database}"')
        execute(learners, statement.replace("'…a long random password…'", f"'{PASSWORD}'"))
    yield make_url(database_url).set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    with learners.begin() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))


def test_the_documented_role_reads_the_impact_and_cannot_write(settings: Settings, readonly_url: str) -> None:
    change_the_modules(settings.modules_dir)

    report = assess_impact(None, Settings(database_readonly_url=readonly_url, modules_dir=settings.modules_dir))

    assert [(m.module_id, m.learners_affected) for m in report.modules] == [
        ("lab-safety-101", 5),
        ("first-pull-request", 2),
    ]
    role = engine_for(readonly_url)
    try:
        with pytest.raises(DBAPIError, match="read-only transaction"), role.begin() as conn:
            conn.execute(text("UPDATE module_progress SET state = 'completed'"))
        with pytest.raises(DBAPIError, match="permission denied"), role.begin() as conn:
            conn.execute(text("SET TRANSACTION READ WRITE"))
            conn.execute(text("DELETE FROM notion_writeback"))
    finally:
        role.dispose()
