"""GitHub client settings come from PIPELINE_GITHUB_* variables (Actions reserves GITHUB_* for itself)."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import Settings


def test_retry_and_pacing_settings_are_read_as_numbers():
    settings = Settings.from_env({"PIPELINE_GITHUB_RETRIES": "3", "PIPELINE_GITHUB_SECONDS_BETWEEN_WRITES": "0.5"})

    assert (settings.github_retries, settings.github_seconds_between_writes) == (3, 0.5)
    assert settings.github_seconds_between_requests == 0.25  # PyGithub's own default


@pytest.mark.parametrize("value", ["many", "-1"])
def test_retry_setting_that_is_not_a_count_is_a_configuration_error(value):
    with pytest.raises(ConfigError, match="PIPELINE_GITHUB_RETRIES"):
        Settings.from_env({"PIPELINE_GITHUB_RETRIES": value})
