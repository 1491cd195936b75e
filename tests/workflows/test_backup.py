"""`backup`: the raw Notion JSON of every Module Library page, read from the fake Notion over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.backup import backup_library
from pipeline.errors import NotionError
from pipeline.settings import Settings
from tests.fakes import notion_blocks as b
from tests.paths import REPO_ROOT


def _settings(notion_fake, data_source_id: str, **changes: object) -> Settings:
    values = {
        "notion_token": notion_fake.token,
        "notion_data_source_id": data_source_id,
        "notion_base_url": notion_fake.base_url,
        "notion_requests_per_second": 200.0,
        "notion_timeout_seconds": 5.0,
        **changes,
    }
    return Settings(**values)  # type: ignore[arg-type]


def test_backup_writes_every_page_whatever_its_status_with_its_nested_blocks(notion_fake, tmp_path: Path) -> None:
    # Given a Ready page with nested blocks and a Draft page
    _, data_source = notion_fake.add_module_library()
    ready = notion_fake.add_page(
        data_source,
        {"Module Name": "Lab Safety", "Status": "Ready"},
        [b.heading(2, "Section 1"), b.bulleted("outer", [b.bulleted("inner")])],
    )
    draft = notion_fake.add_page(data_source, {"Module Name": "Draft one", "Status": "Draft"}, [b.paragraph("wip")])
    out = tmp_path / "2026-11-30"
    # When the backup runs
    result = backup_library(_settings(notion_fake, data_source), out)
    # Then each page has its own file holding the page object and its block tree, children nested
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{ready}.json", f"{draft}.json"])
    saved = json.loads((out / f"{ready}.json").read_text(encoding="utf-8"))
    assert saved["page"]["id"] == ready and saved["page"]["object"] == "page"
    assert [block["type"] for block in saved["blocks"]] == ["heading_2", "bulleted_list_item"]
    inner = saved["blocks"][1]["children"][0]
    assert inner["bulleted_list_item"]["rich_text"][0]["plain_text"] == "inner"
    assert (result.pages, result.blocks) == (2, 4)


def test_backup_keeps_no_signed_url_of_a_notion_hosted_file(notion_fake, tmp_path: Path) -> None:
    # Given a page with a Notion-hosted image, whose URL Notion signs with temporary AWS credentials
    _, data_source = notion_fake.add_module_library()
    page = notion_fake.add_page(
        data_source, {"Module Name": "Pictures"}, [b.hosted_file("image", b"\x89PNG\r\n\x1a\n", "a.png", "image/png")]
    )
    out = tmp_path / "backup"
    # When the backup runs
    backup_library(_settings(notion_fake, data_source), out)
    # Then the saved JSON names the file but holds no credential, token or signature
    text = (out / f"{page}.json").read_text(encoding="utf-8")
    assert "X-Amz-" not in text and "Security-Token" not in text
    image = json.loads(text)["blocks"][0]["image"]["file"]
    assert image["url"].startswith(notion_fake.base_url + "/s3/") and image["url"].endswith("/a.png")


def test_backup_command_writes_the_folder_and_says_what_it_saved(notion_fake, tmp_path: Path) -> None:
    _, data_source = notion_fake.add_module_library()
    page = notion_fake.add_page(data_source, {"Module Name": "Tour", "Status": "Live"}, [b.paragraph("hello")])
    env = {
        **os.environ,
        "NOTION_TOKEN": notion_fake.token,
        "NOTION_DATA_SOURCE_ID": data_source,
        "NOTION_BASE_URL": notion_fake.base_url,
    }
    out = tmp_path / "backups" / "notion" / "2026-11-30"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "backup", "--out", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"backed up 1 page(s) and 1 block(s) into {out}"
    assert (out / f"{page}.json").exists()


def test_a_refused_token_fails_with_notions_reason_and_no_token_in_the_message(notion_fake, tmp_path: Path) -> None:
    _, data_source = notion_fake.add_module_library()
    settings = _settings(notion_fake, data_source, notion_token="ntn_wrong_token_0000000000000000")
    with pytest.raises(NotionError) as refused:
        backup_library(settings, tmp_path / "out")
    assert "unauthorized" in str(refused.value)
    assert "ntn_wrong_token" not in str(refused.value)
    assert not (tmp_path / "out").exists()


def test_backup_into_a_path_that_is_a_file_is_a_configuration_error(
    notion_fake, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import main

    _, data_source = notion_fake.add_module_library()
    notion_fake.add_page(data_source, {"Module Name": "Tour", "Status": "Live"}, [b.paragraph("hello")])
    for name, value in {
        "NOTION_TOKEN": notion_fake.token,
        "NOTION_DATA_SOURCE_ID": data_source,
        "NOTION_BASE_URL": notion_fake.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    a_file = tmp_path / "backup.json"
    a_file.write_text("keep me")

    code = main(["backup", "--out", str(a_file)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: cannot write {a_file}/") and f"{a_file} is a file, not a folder" in err
    assert a_file.read_text() == "keep me"
