"""Learner page fixtures: the samples deployed, `serve`'s app on 127.0.0.1 with the development key, and one
headless Chromium per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from pipeline.deploy.apply import deploy
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.paths import REPO_ROOT
from tests.runtime.live import LiveServer

# CI uploads this folder as the `learner-screenshots` artifact.
SCREENSHOTS = REPO_ROOT / "test-output" / "learner"
# Collected before any page script runs: Content-Security-Policy violations, which a page cannot hide.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@dataclass
class Learner:
    """`serve`'s app (API and /learn/) over the deployed samples, restartable on the same port."""

    settings: Settings
    server: LiveServer
    engine: Any = field(repr=False)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def restart(self) -> None:
        """A new app (fresh caches and pools, as a new process has) on the same address."""
        port = self.server.server.server_port
        self.server.close()
        self.server = LiveServer(create_app(self.settings, host="127.0.0.1"), port=port)

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()


@pytest.fixture
def learner(settings: Settings, tmp_path: Path) -> Iterator[Learner]:
    """The samples deployed and served as `python -m pipeline serve` does on 127.0.0.1 (development key)."""
    served = settings.with_overrides(runtime_cache_seconds=0.0, runtime_pool_size=4, pgdata_dir=tmp_path / "pgdata")
    deploy(None, served)
    engine = create_engine(str(served.database_url))
    running = Learner(served, LiveServer(create_app(served, host="127.0.0.1")), engine)
    yield running
    running.server.close()
    engine.dispose()


@dataclass
class Tab:
    """A browser page and everything it complained about."""

    page: Any
    problems: list[str]

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__cspViolations || []"))


def open_tab(context: Any, url: str) -> Tab:
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.goto(url, wait_until="load")
    return Tab(page, problems)


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    """A fresh profile (no storage), desktop-sized, in US English and UTC (dates as the tests expect them)."""
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, locale="en-US", timezone_id="UTC")
    context.add_init_script(WATCH_CSP)
    yield context
    context.close()


def screenshot(page: Any, name: str) -> None:
    folder = SCREENSHOTS / os.environ.get("PYTEST_XDIST_WORKER", "")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
