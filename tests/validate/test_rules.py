"""`validate`: every rule refuses a bad file with path, line, pointer and a fix; good files pass."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.module.problems import Problem
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.module_builders import sample_module, text_section, write_json
from tests.paths import REPO_ROOT, SAMPLE_MODULES


def problems_for(modules_dir: Path, data: dict, name: str | None = None) -> list[Problem]:
    """Write `data` into the module tree and validate that one file."""
    path = write_json(modules_dir / (name or f"{data['module_id']}.json"), data)
    return list(validate_paths([path], Settings(modules_dir=modules_dir)).problems)


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_sample_modules_are_valid() -> None:
    report = validate_paths([SAMPLE_MODULES], Settings(modules_dir=SAMPLE_MODULES))
    assert report.ok, [str(p) for p in report.problems]
    assert report.files_checked == 3
    assert set(report.documents) == {"lab-safety-101", "equipment-tour", "first-pull-request"}


# --- schema -----------------------------------------------------------------------------------------


def test_missing_required_field_is_named_with_its_meaning(module_tree: Path) -> None:
    data = sample_module()
    del data["title"]
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "" and "missing required field 'title'" in problem.message
    assert "Title students see" in problem.message


def test_misspelt_field_is_refused_with_a_suggestion_at_its_line(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][1]["titel"] = data["sections"][1].pop("title")
    found = problems_for(module_tree, data)
    unknown = next(p for p in found if p.pointer == "/sections/1/titel")
    assert "did you mean 'title'?" in unknown.message
    text = (module_tree / "lab-safety-101.json").read_text().splitlines()
    assert '"titel"' in text[unknown.line - 1]


def test_wrong_type_says_what_was_expected_and_what_was_found(module_tree: Path) -> None:
    problem = only(problems_for(module_tree, sample_module(estimated_minutes="10")))
    assert problem.pointer == "/estimated_minutes"
    assert 'must be a whole number, not string "10"' in problem.message


def test_module_id_pattern_is_explained(module_tree: Path) -> None:
    found = problems_for(module_tree, sample_module(module_id="Lab_Safety"), name="Lab_Safety.json")
    problem = only(found)
    assert problem.pointer == "/module_id" and "words joined by single hyphens" in problem.message


def test_module_id_longer_than_64_characters_is_refused(module_tree: Path) -> None:
    long_id = "a" * 65
    assert "at most 64" in only(problems_for(module_tree, sample_module(module_id=long_id))).message


def test_unknown_section_type_lists_the_allowed_ones(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][0]["section_type"] = "slideshow"
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/0/section_type" and '"quiz"' in problem.message


def test_video_section_needs_a_media_url(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][2]["media_url"] = None
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/2/media_url" and "video section" in problem.message


def test_text_section_content_must_be_markdown_text(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][0]["content"] = {"instruction": "x"}
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/0/content" and "text section" in problem.message


def test_hotspot_without_coordinates_is_refused(module_tree: Path) -> None:
    data = sample_module()
    del data["sections"][3]["content"]["hotspots"][0]["x"]
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/3/content/hotspots/0" and "'x'" in problem.message


def test_quiz_question_needs_two_choices(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][4]["content"]["questions"][1]["choices"] = ["Only one"]
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/4/content/questions/1/choices" and "at least 2" in problem.message


def test_completion_criteria_must_say_something(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][3]["content"]["completion_criteria"] = {}
    problem = only(problems_for(module_tree, data))
    assert "hotspots_clicked" in problem.message and "required_hotspots" in problem.message


# --- semantic rules ---------------------------------------------------------------------------------


def test_file_name_must_equal_module_id(module_tree: Path) -> None:
    problem = only(problems_for(module_tree, sample_module(), name="lab-safety.json"))
    assert problem.pointer == "/module_id" and "rename the file to lab-safety-101.json" in problem.message


def test_section_numbers_must_run_from_one_without_gaps(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][2]["section_number"] = 4
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/2/section_number" and "number sections 1..n" in problem.message


def test_section_ids_must_be_unique(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][1]["section_id"] = "welcome"
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/1/section_id" and "already used by section 1" in problem.message


def test_prerequisite_must_exist_among_the_modules(module_tree: Path) -> None:
    problem = only(problems_for(module_tree, sample_module(prerequisites=["first-pull-request", "ghost-module"])))
    assert problem.pointer == "/prerequisites/1" and "'ghost-module' is not a module" in problem.message


def test_module_cannot_require_itself(module_tree: Path) -> None:
    problem = only(problems_for(module_tree, sample_module(prerequisites=["lab-safety-101"])))
    assert "its own prerequisite" in problem.message


def test_prerequisite_cycle_is_refused_and_named(module_tree: Path) -> None:
    # equipment-tour already requires lab-safety-101; make lab-safety-101 require equipment-tour
    problem = only(problems_for(module_tree, sample_module(prerequisites=["equipment-tour"])))
    assert "lab-safety-101 → equipment-tour → lab-safety-101" in problem.message


def test_longer_prerequisite_cycle_is_named_once(module_tree: Path) -> None:
    write_json(
        module_tree / "first-pull-request.json",
        {**json.loads((module_tree / "first-pull-request.json").read_text()), "prerequisites": ["equipment-tour"]},
    )
    data = sample_module(prerequisites=["first-pull-request"])
    write_json(module_tree / "lab-safety-101.json", data)
    report = validate_paths([module_tree], Settings(modules_dir=module_tree))
    cycles = [p for p in report.problems if "cycle" in p.message]
    assert len(cycles) == 1
    assert all(m in cycles[0].message for m in ("lab-safety-101", "first-pull-request", "equipment-tour"))


def test_media_url_under_assets_must_exist(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][3]["media_url"] = "/assets/lab-safety-101/missing.png"
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/3/media_url" and "data/assets/lab-safety-101/missing.png" in problem.message


def test_media_url_cannot_climb_out_of_assets(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][3]["media_url"] = "/assets/../../etc/passwd"
    assert only(problems_for(module_tree, data)).pointer == "/sections/3/media_url"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("Hello <script>alert(1)</script>", "raw HTML is not allowed"),
        ("<div onclick='x()'>hi</div>", "raw HTML is not allowed"),
        ("[click](javascript:alert(1))", "'javascript:alert(1)' is not allowed"),
        ("[click](JaVaScRiPt:alert(1))", "is not allowed"),
        ("[click](&#106;avascript:alert(1))", "is not allowed"),
        ("<javascript:alert(1)>", "is not allowed"),
        ("![x](data:image/png;base64,AAAA)", "image to"),
        ("[ref]\n\n[ref]: vbscript:msgbox", "is not allowed"),
    ],
    ids=["script", "event-handler", "javascript-link", "mixed-case", "entity", "autolink", "data-image", "reference"],
)
def test_hostile_markdown_is_refused(module_tree: Path, markdown: str, expected: str) -> None:
    data = sample_module()
    data["sections"][0]["content"] = "Intro line.\n\n" + markdown
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/0/content" and expected in problem.message
    assert "Markdown line 3" in problem.message


def test_markdown_image_under_assets_must_exist(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][0]["content"] = "See ![plan](/assets/lab-safety-101/nope.png)"
    assert "does not exist" in only(problems_for(module_tree, data)).message


def test_safe_markdown_with_links_tables_and_code_passes(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][0]["content"] = (
        "A < b and `<b>` in code.\n\n```html\n<script>fine in a code block</script>\n```\n\n"
        "[docs](https://example.org) [mail](mailto:a@b.org) [here](#ppe) ![p](/assets/lab-safety-101/floor-plan.png)"
    )
    assert problems_for(module_tree, data) == []


def test_unreachable_completion_criterion_is_refused(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][3]["content"]["completion_criteria"] = {"hotspots_clicked": 6}
    problem = only(problems_for(module_tree, data))
    assert "never be completed" in problem.message


def test_required_hotspot_must_exist(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][3]["content"]["completion_criteria"] = {"required_hotspots": ["eye-wash", "laser"]}
    problem = only(problems_for(module_tree, data))
    assert problem.pointer.endswith("/required_hotspots/1") and "'laser' does not exist" in problem.message


def test_hotspot_outside_the_image_is_refused(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][3]["content"]["hotspots"][2]["x"] = 800  # the floor plan is 800 px wide
    problem = only(problems_for(module_tree, data))
    assert "outside the 800×500 image" in problem.message


def test_hotspot_ids_must_be_unique(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][3]["content"]["hotspots"][1]["id"] = "fire-extinguisher"
    found = problems_for(module_tree, data)
    assert any(p.pointer == "/sections/3/content/hotspots/1/id" and "used twice" in p.message for p in found)


def test_correct_choice_must_exist(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][4]["content"]["questions"][1]["correct_choice"] = 2
    problem = only(problems_for(module_tree, data))
    assert problem.pointer == "/sections/4/content/questions/1/correct_choice" and "only 2 choices" in problem.message


def test_quiz_question_ids_must_be_unique(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][4]["content"]["questions"][2]["question_id"] = "eye-contact"
    assert "used twice" in only(problems_for(module_tree, data)).message


def test_two_files_with_the_same_module_id_are_refused(module_tree: Path) -> None:
    write_json(module_tree / "copy.json", sample_module(module_id="equipment-tour"))
    report = validate_paths([module_tree], Settings(modules_dir=module_tree))
    assert any("also used by" in p.message for p in report.problems)


def test_validating_one_file_checks_prerequisites_against_its_folder(module_tree: Path) -> None:
    data = sample_module(module_id="new-module", prerequisites=["equipment-tour"], sections=[text_section("intro", 1)])
    assert problems_for(module_tree, data) == []


# --- the command ------------------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)},
    )


def test_cli_accepts_the_samples_with_exit_0(module_tree: Path) -> None:
    result = run_cli("validate", cwd=module_tree.parent.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: 3 module file(s) valid" in result.stdout


def test_cli_reports_each_problem_as_path_line_pointer_message(module_tree: Path) -> None:
    data = sample_module()
    data["sections"][1]["section_number"] = 5
    write_json(module_tree / "lab-safety-101.json", data)
    result = run_cli("validate", str(module_tree / "lab-safety-101.json"), cwd=module_tree.parent.parent)
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first.startswith("data/modules/lab-safety-101.json:")
    _path, line, pointer, message = first.split(": ", 1)[0].split(":") + first.split(": ", 2)[1:]
    assert int(line) > 1 and pointer == "/sections/1/section_number" and "number sections" in message
    assert result.stdout.splitlines()[-1].startswith("FAILED: 1 problem(s) in 1 of 1")


def test_cli_github_format_prints_annotations(module_tree: Path) -> None:
    write_json(module_tree / "lab-safety-101.json", sample_module(estimated_minutes=0))
    result = run_cli("validate", "--format", "github", str(module_tree))
    assert result.returncode == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith("::error file=") and ",line=" in line and "title=/estimated_minutes::" in line


def test_cli_json_format_is_machine_readable(module_tree: Path) -> None:
    write_json(module_tree / "lab-safety-101.json", sample_module(tags=["ok", "ok"]))
    result = run_cli("validate", "--format", "json", str(module_tree))
    report = json.loads(result.stdout)
    assert result.returncode == 1 and report["files_checked"] == 3 and report["errors"] == 1
    assert report["problems"][0]["pointer"] == "/tags"


def test_cli_refuses_every_malformed_file_without_a_traceback(tmp_path: Path) -> None:
    samples = {
        "dup.json": b'{"a": 1, "a": 2}',
        "nan.json": b'{"a": NaN}',
        "bom.json": b"\xef\xbb\xbf{}",
        "utf.json": b'{"a": "\xc3"}',
        "list.json": b"[]",
        "deep.json": b"[" * 200_000 + b"]" * 200_000,
        "big.json": b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}',
        "empty.json": b"",
    }
    for name, raw in samples.items():
        (tmp_path / name).write_bytes(raw)
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    for name in samples:
        assert f"{tmp_path / name}:" in result.stdout or f"{name}:" in result.stdout, name


def test_cli_missing_path_is_a_usage_error_with_exit_2() -> None:
    result = run_cli("validate", "no/such/dir")
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_a_file_named_twice_is_one_module_not_a_duplicate_id(module_tree: Path) -> None:
    # given the folder and one of its files on the command line (as a shell glob plus a folder gives)
    one = module_tree / "lab-safety-101.json"

    result = run_cli("validate", str(module_tree), str(one), str(module_tree / "." / one.name))

    assert result.returncode == 0, result.stdout
    assert "ok: 3 module file(s) valid" in result.stdout


def test_cli_a_folder_without_module_files_is_a_usage_error_not_ok(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a module")

    result = run_cli("validate", str(tmp_path))

    assert result.returncode == 2
    assert f"no module files in {tmp_path}" in result.stderr and "ok:" not in result.stdout
