"""`python -m pipeline export` and `python -m pipeline notion check`, as an operator runs them."""

from __future__ import annotations

import logging

import pytest

from pipeline.cli import main
from tests.notion.pages import add_module_page


@pytest.fixture
def notion_env(monkeypatch, notion_fake, library):
    """The environment a workflow sets: token, data source, base URL, module folder, fast retries."""
    settings = library.settings
    for name, value in {
        "NOTION_TOKEN": notion_fake.token,
        "NOTION_DATA_SOURCE_ID": library.data_source_id,
        "NOTION_BASE_URL": notion_fake.base_url,
        "MODULES_DIR": str(settings.modules_dir),
        "NOTION_REQUESTS_PER_SECOND": "200",
        "NOTION_RETRY_SECONDS": "0.01",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NOTION_DATABASE_ID", raising=False)
    return monkeypatch


def test_export_lists_each_page_and_exits_1_when_one_fails(notion_fake, library, notion_env, capsys):
    add_module_page(notion_fake, library.data_source_id, "good-one")
    bad = add_module_page(notion_fake, library.data_source_id, "bad-one", Description=None)

    code = main(["export"])

    out = capsys.readouterr().out
    assert code == 1
    assert "written   good-one  'Good One'" in out
    assert f"failed    bad-one  'Bad One' (Notion page {bad})" in out
    assert "Description" in out and "commented on the page" in out
    assert "1 written, 0 unchanged, 0 skipped, 1 failed" in out


def test_export_with_a_database_id_finds_its_data_source(notion_fake, library, notion_env, capsys):
    notion_env.delenv("NOTION_DATA_SOURCE_ID")
    notion_env.setenv("NOTION_DATABASE_ID", library.database_id.replace("-", ""))
    add_module_page(notion_fake, library.data_source_id, "good-one")

    assert main(["export"]) == 0
    assert (library.settings.modules_dir / "good-one.json").exists()
    assert notion_fake.count("databases.retrieve") == 1


def test_export_of_one_page_with_all_flag(notion_fake, library, notion_env, capsys):
    page = add_module_page(notion_fake, library.data_source_id, "good-one")

    assert main(["export", "--page", page]) == 0
    assert main(["export", "--all"]) == 0
    assert "unchanged good-one" in capsys.readouterr().out


def test_notion_check_names_a_renamed_column(notion_fake, library, notion_env, capsys):
    notion_fake.rename_property(library.data_source_id, "Module ID", "Module Id")

    code = main(["notion", "check"])

    out = capsys.readouterr().out
    assert code == 1
    assert "'Module ID'" in out and "rename it" in out


def test_notion_check_passes_on_the_template_schema(notion_env, capsys):
    assert main(["notion", "check"]) == 0
    assert "has every property" in capsys.readouterr().out


def test_missing_configuration_is_exit_2(notion_env, capsys):
    notion_env.delenv("NOTION_DATA_SOURCE_ID")

    assert main(["export"]) == 2
    assert "NOTION_DATA_SOURCE_ID" in capsys.readouterr().err


def test_the_token_never_appears_in_output(notion_fake, library, notion_env, capsys, caplog):
    add_module_page(notion_fake, library.data_source_id, "bad-one", Description=None)
    caplog.set_level(logging.DEBUG)
    assert main(["-v", "export"]) == 1
    notion_env.setenv("NOTION_TOKEN", "secret_not_the_right_token_42")
    assert main(["export"]) == 1

    captured = capsys.readouterr()
    text = captured.out + captured.err + caplog.text
    assert "API token is invalid" in captured.err and "NOTION_TOKEN" in captured.err
    assert notion_fake.token not in text and "secret_not_the_right_token_42" not in text
