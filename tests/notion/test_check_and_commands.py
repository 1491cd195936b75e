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
    assert out.startswith(f"data source {library.data_source_id}: ") and "Notion page" not in out


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
    assert main(["export"]) == 2  # a token Notion refuses is configuration, as GitHub's is

    captured = capsys.readouterr()
    text = captured.out + captured.err + caplog.text
    assert "API token is invalid" in captured.err and "NOTION_TOKEN" in captured.err
    assert notion_fake.token not in text and "secret_not_the_right_token_42" not in text


def test_export_into_a_modules_dir_that_is_a_file_is_refused_before_notion_is_asked(
    notion_fake, library, notion_env, tmp_path, capsys
):
    # given MODULES_DIR points at a file (a typo in the workflow)
    add_module_page(notion_fake, library.data_source_id, "lab-basics")
    not_a_folder = tmp_path / "modules.json"
    not_a_folder.write_text("{}")
    notion_env.setenv("MODULES_DIR", str(not_a_folder))

    # when the export runs
    code = main(["export"])

    # then it is a configuration error naming MODULES_DIR, with no traceback, and nothing was read or written
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: MODULES_DIR") and str(not_a_folder) in err
    assert not_a_folder.read_text() == "{}" and notion_fake.log == []


def test_a_notion_base_url_that_is_no_url_is_a_configuration_error(notion_env, capsys):
    notion_env.setenv("NOTION_BASE_URL", "api.notion.com")  # the scheme forgotten

    assert main(["notion", "check"]) == 2
    assert "NOTION_BASE_URL='api.notion.com' is not an http(s) URL" in capsys.readouterr().err


def test_an_unreachable_notion_names_notion_base_url(notion_env, capsys):
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    notion_env.setenv("NOTION_BASE_URL", url)

    code = main(["export"])

    err = capsys.readouterr().err
    assert code == 1
    assert f"the connection to Notion at {url} failed" in err and "NOTION_BASE_URL" in err
    assert "run the export again later" not in err  # not (only) "Notion had a temporary problem"


@pytest.mark.parametrize("command", [["export", "--page", "not-a-page-id"], ["notion", "check"]])
def test_an_id_that_is_not_a_notion_id_is_a_configuration_error_not_a_notion_fix(command, notion_env, capsys):
    if command[0] == "notion":
        notion_env.setenv("NOTION_DATA_SOURCE_ID", "module library")

    code = main(command)

    err = capsys.readouterr().err
    assert code == 2
    assert "not a Notion id" in err and "NOTION_DATA_SOURCE_ID" in err and "--page" in err
    assert "in Notion" not in err.split("—")[-1]  # the advice is not "fix the value named above in Notion"


def test_export_of_a_page_outside_the_module_library_is_refused(notion_fake, library, notion_env, capsys):
    # given a page of another database with the same columns (a copy, a test library)
    _, other_source = notion_fake.add_module_library("Module Library (copy)")
    foreign = add_module_page(notion_fake, other_source, "copied-module")
    modules_dir = library.settings.modules_dir
    before = sorted(path.name for path in modules_dir.iterdir())

    code = main(["export", "--page", foreign])

    err = capsys.readouterr().err
    assert code == 2
    assert f"Notion page {foreign}" in err and "is not in the Module Library" in err and "--page" in err
    assert sorted(path.name for path in modules_dir.iterdir()) == before


def test_export_of_one_library_page_by_id_still_works(notion_fake, library, notion_env, capsys):
    page = add_module_page(notion_fake, library.data_source_id, "one-page")

    assert main(["export", "--page", page.replace("-", "")]) == 0
    assert (library.settings.modules_dir / "one-page.json").exists()


def test_a_page_reusing_another_modules_id_fails_and_leaves_that_module_file_alone(
    notion_fake, library, notion_env, capsys
):
    # given pages reusing the ids of a module from another Notion page and of a module written in Git
    modules_dir = library.settings.modules_dir
    before = {path.name: path.read_bytes() for path in modules_dir.iterdir()}
    copied = add_module_page(notion_fake, library.data_source_id, "lab-safety-101")
    add_module_page(notion_fake, library.data_source_id, "first-pull-request")
    add_module_page(notion_fake, library.data_source_id, "brand-new")

    # when the export runs
    code = main(["export"])

    # then both pages fail naming the file and its owner, the files are untouched, and the new page is written
    out = capsys.readouterr().out
    assert code == 1
    assert "Module ID 'lab-safety-101' is already used by" in out and "Notion page 2b8f6c1e" in out
    assert "Module ID 'first-pull-request' is already used by" in out and "comes from Git" in out
    assert {name: (modules_dir / name).read_bytes() for name in before} == before
    assert (modules_dir / "brand-new.json").exists()
    assert len(notion_fake.comments[copied]) == 1  # the team lead is told on the page


def test_two_ready_pages_with_one_module_id_both_fail_naming_each_other(notion_fake, library, notion_env, capsys):
    # given a page duplicated in Notion (the copy keeps the Module ID)
    first = add_module_page(notion_fake, library.data_source_id, "twin-module")
    second = add_module_page(notion_fake, library.data_source_id, "twin-module")

    code = main(["export"])

    out = capsys.readouterr().out
    assert code == 1
    assert f"also the Module ID of Notion page(s) {second}" in out and f"Module ID of Notion page(s) {first}" in out
    assert not (library.settings.modules_dir / "twin-module.json").exists()


def test_a_notion_slower_than_the_timeout_names_notion_timeout_seconds(notion_fake, notion_env, capsys):
    import time

    notion_fake.latency = 0.5
    notion_env.setenv("NOTION_TIMEOUT_SECONDS", "0.2")

    code = main(["notion", "check"])

    time.sleep(1.0)  # let the fake finish the answers nobody waits for, or they land in the next test's log
    err = capsys.readouterr().err
    assert code == 1
    assert "did not answer within 0.2 s (NOTION_TIMEOUT_SECONDS)" in err
