"""The command line under failures that cut across commands, run as a user runs it (a subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.notion.pages import add_module_page
from tests.paths import REPO_ROOT


def test_ctrl_c_during_an_export_says_what_to_do_and_leaves_no_partial_file(notion_fake, module_tree: Path) -> None:
    # given an export that is slow (many pages, a slow Notion)
    _, data_source = notion_fake.add_module_library()
    for index in range(20):
        add_module_page(notion_fake, data_source, f"slow-module-{index:02d}")
    notion_fake.latency = 0.2
    before = {path.name: path.read_bytes() for path in module_tree.iterdir()}
    env = {
        **os.environ,
        "NOTION_TOKEN": notion_fake.token,
        "NOTION_DATA_SOURCE_ID": data_source,
        "NOTION_BASE_URL": notion_fake.base_url,
        "NOTION_REQUESTS_PER_SECOND": "100",
        "MODULES_DIR": str(module_tree),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "export"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # when the operator presses Ctrl-C while pages are being read
        deadline = time.monotonic() + 30
        while len(notion_fake.log) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        time.sleep(0.5)  # let the fake finish the answers nobody waits for, or they land in the next test's log
    # then it stops with 130 and a sentence saying what to do, no traceback, and data/modules is as before
    assert process.returncode == 130, out + err
    assert err.strip().startswith("interrupted before the command finished; run it again") and "Traceback" not in err
    assert {path.name: path.read_bytes() for path in module_tree.iterdir()} == before


def test_a_token_pasted_with_an_invisible_character_is_a_configuration_error(
    notion_fake, github_fake, module_tree: Path
) -> None:
    # given tokens copied with a zero-width space and a typographic apostrophe in them
    _, data_source = notion_fake.add_module_library()
    env = {
        **os.environ,
        **github_fake.env(),
        "NOTION_DATA_SOURCE_ID": data_source,
        "NOTION_BASE_URL": notion_fake.base_url,
        "MODULES_DIR": str(module_tree),
    }
    cases = {
        "NOTION_TOKEN": (["notion", "check"], notion_fake.token[:6] + "\u200b" + notion_fake.token[6:]),
        "GITHUB_TOKEN": (["propose"], github_fake.token[:6] + "\u2019" + github_fake.token[6:]),
    }
    for variable, (command, token) in cases.items():
        # when a command sends it
        result = subprocess.run(
            [sys.executable, "-m", "pipeline", *command],
            cwd=REPO_ROOT,
            env={**env, "NOTION_TOKEN": notion_fake.token, variable: token},
            capture_output=True,
            text=True,
            timeout=60,
        )
        # then it exits 2 naming the variable and the character, and shows no token and no traceback
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"error: {variable} holds a character that cannot be sent (U+")
        assert "Traceback" not in result.stderr and token[7:] not in result.stderr
    assert notion_fake.log == [] and github_fake.log == []


def test_an_infinite_or_nan_timing_setting_is_a_configuration_error(monkeypatch, capsys) -> None:
    from pipeline.cli import main

    for variable, value in (
        ("NOTION_TIMEOUT_SECONDS", "inf"),
        ("NOTION_RETRY_SECONDS", "nan"),
        ("PIPELINE_GITHUB_BACKOFF_FACTOR", "1e400"),
    ):
        with monkeypatch.context() as env:
            env.setenv(variable, value)

            status = main(["notion", "check"])

        err = capsys.readouterr().err
        assert status == 2, variable
        assert err.startswith(f"error: {variable}={value!r} is not a finite number"), err


def test_verbose_logs_show_no_signed_file_url_and_no_token(notion_fake, module_tree: Path) -> None:
    from tests.fakes import notion_blocks as b
    from tests.notion.pages import PNG, module_body

    # given a Ready page with a picture uploaded to Notion (served from a signed, expiring URL)
    _, data_source = notion_fake.add_module_library()
    picture = b.hosted_file("image", PNG, "pipette.png", "image/png")
    add_module_page(
        notion_fake,
        data_source,
        "pipette-basics",
        blocks=module_body("pipetting", extra=[b.paragraph("See:"), picture]),
    )
    env = {
        **os.environ,
        "NOTION_TOKEN": notion_fake.token,
        "NOTION_DATA_SOURCE_ID": data_source,
        "NOTION_BASE_URL": notion_fake.base_url,
        "NOTION_REQUESTS_PER_SECOND": "100",
        "MODULES_DIR": str(module_tree),
    }

    # when the export runs with progress logs
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "-v", "export"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then the download is logged with its signature masked, and no signature or token appears
    assert result.returncode == 0, result.stderr
    assert "X-Amz-Signature=***" in result.stderr
    assert notion_fake.signed and not any(signature in result.stderr for signature in notion_fake.signed)
    assert notion_fake.token not in result.stdout + result.stderr


def test_output_piped_into_a_reader_that_stops_early_is_no_traceback(tmp_path: Path) -> None:
    import json

    # given a module file with thousands of problems (more output than a pipe holds)
    (tmp_path / "many-problems.json").write_text(json.dumps({"module_id": "many-problems", "sections": [1] * 3000}))

    # when its report is piped into a reader that stops after one line (`| head -1`)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "validate", str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    process.wait(timeout=60)

    # then it stops quietly
    assert b"many-problems.json" in first
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert process.returncode == 1


def test_a_report_to_a_non_utf8_console_is_no_traceback(module_tree: Path, migrated_engine, database_url) -> None:
    # given a console or file whose encoding has no "→" or "—" (cp1252 on Windows, ASCII in old containers)
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "MODULES_DIR": str(module_tree), "DATABASE_URL": database_url}

    # when the deploy plan (added: "— → r1") is printed
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "deploy", "--dry-run"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )

    # then the characters are escaped, not a crash
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"\\u2192 r1" in result.stdout and b"Traceback" not in result.stderr
