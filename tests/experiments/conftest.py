"""Fixtures of the experiment tests: the demo module (examples/experiments/) deployed beside the samples, and the
runtime API over them on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.deploy.apply import deploy
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.paths import EXAMPLES
from tests.runtime.live import SECRET, LiveServer

DEMO = EXAMPLES / "experiments" / "modules" / "ppe-basics.json"


@pytest.fixture
def demo_settings(settings: Settings) -> Settings:
    """Deploy and runtime settings with the demo module in the modules folder."""
    modules: Path = settings.modules_dir
    shutil.copy(DEMO, modules / DEMO.name)
    return settings.with_overrides(runtime_jwt_secret=SECRET, runtime_cache_seconds=0.0, runtime_pool_size=4)


@pytest.fixture
def demo_deployed(demo_settings: Settings) -> Settings:
    deploy(None, demo_settings)
    return demo_settings


@pytest.fixture
def demo_api(demo_deployed: Settings) -> Iterator[LiveServer]:
    server = LiveServer(create_app(demo_deployed, host="127.0.0.1"))
    yield server
    server.close()
