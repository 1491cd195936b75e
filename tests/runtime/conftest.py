"""Fixtures of the runtime API tests: the sample modules deployed, and the API served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.deploy.apply import deploy
from pipeline.runtime import create_app
from pipeline.settings import Settings
from tests.runtime.live import SECRET, LiveServer


@pytest.fixture
def runtime_settings(settings: Settings) -> Settings:
    """The deploy settings of the test database, with a known HS256 secret; the module cache re-checks at once."""
    return settings.with_overrides(runtime_jwt_secret=SECRET, runtime_cache_seconds=0.0, runtime_pool_size=4)


@pytest.fixture
def deployed(runtime_settings: Settings) -> Settings:
    """The sample modules deployed (revision 1 each)."""
    deploy(None, runtime_settings)
    return runtime_settings


@pytest.fixture
def api(deployed: Settings) -> Iterator[LiveServer]:
    """The runtime API over the deployed samples, on a real HTTP server."""
    server = LiveServer(create_app(deployed, host="127.0.0.1"))
    yield server
    server.close()
