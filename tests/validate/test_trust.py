"""Incremental validation: trusting unchanged bytes skips work but never changes the verdict."""

from __future__ import annotations

import contextlib
import json
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.module.assets import asset_path
from pipeline.settings import Settings
from pipeline.validate.rules import ValidationReport, validate_paths
from pipeline.validate.trust import (
    VALIDATOR_SOURCES,
    Trusted,
    fingerprint_of,
    validation_key,
    validator_fingerprint,
)
from tests.module_builders import sample_module, text_section, write_json
from tests.paths import REPO_ROOT, copy_sample_data

IMAGE_IN_MARKDOWN = "A plan of the lab:\n\n![Floor plan](/assets/lab-safety-101/floor-plan.png)\n"


def add_markdown_image_module(modules: Path) -> Path:
    """A fourth module whose Markdown (not media_url) refers to an /assets/ image, after lab-safety-101."""
    data = sample_module("lab-map", prerequisites=["lab-safety-101"])
    data["sections"] = [text_section("map", 1, IMAGE_IN_MARKDOWN), text_section("notes", 2)]
    return write_json(modules / "lab-map.json", data)


def trusted_after_full_validation(modules: Path) -> Trusted:
    """What deploy would have stored for this tree: the validation keys and Markdown images of every file."""
    report = validate_paths([modules], Settings(modules_dir=modules))
    assert report.ok, [str(p) for p in report.problems]
    return {v.key: v.markdown_images for v in report.validated.values()}


def same_verdict(modules: Path, trusted: Trusted) -> ValidationReport:
    """Validate in full and with `trusted`; everything a caller can see must be identical."""
    config = Settings(modules_dir=modules)
    full = validate_paths([modules], config)
    incremental = validate_paths([modules], config, trusted)
    assert [str(p) for p in incremental.problems] == [str(p) for p in full.problems]
    assert incremental.problems == full.problems
    assert incremental.validated == full.validated
    assert {k: d.data for k, d in incremental.documents.items()} == {k: d.data for k, d in full.documents.items()}
    assert {k: d.text for k, d in incremental.documents.items()} == {k: d.text for k, d in full.documents.items()}
    assert full.files_trusted == 0
    return incremental


def edit(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    write_json(path, data)


def tiny_png(path: Path, width: int = 10, height: int = 10) -> None:
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">II", width, height)
        + b"\x08\x02\x00\x00\x00"
    )


# --- the cases the design promises -------------------------------------------------------------------


def test_unchanged_files_are_trusted_and_pass_as_before(module_tree: Path) -> None:
    add_markdown_image_module(module_tree)
    trusted = trusted_after_full_validation(module_tree)

    report = same_verdict(module_tree, trusted)

    assert report.ok and report.files_trusted == 4
    assert report.validated["lab-map"].markdown_images == {
        "/sections/0/content": ("/assets/lab-safety-101/floor-plan.png",)
    }


def test_a_trusted_file_whose_markdown_image_was_deleted_is_still_refused(module_tree: Path) -> None:
    add_markdown_image_module(module_tree)
    trusted = trusted_after_full_validation(module_tree)
    (module_tree.parent / "assets" / "lab-safety-101" / "floor-plan.png").unlink()

    report = same_verdict(module_tree, trusted)

    assert report.files_trusted == 4
    missing = [p for p in report.problems if "floor-plan.png' does not exist" in p.message]
    assert {(Path(p.path).name, p.pointer) for p in missing} == {
        ("lab-map.json", "/sections/0/content"),
        ("lab-safety-101.json", "/sections/3/media_url"),
    }


def test_a_trusted_file_whose_interactive_image_shrank_is_refused_for_its_hotspots(module_tree: Path) -> None:
    trusted = trusted_after_full_validation(module_tree)
    tiny_png(module_tree.parent / "assets" / "equipment-tour" / "bench.png")

    report = same_verdict(module_tree, trusted)

    assert report.files_trusted == 3 and not report.ok
    assert any("outside the 10×10 image" in p.message for p in report.problems)


def test_trusted_bytes_under_another_file_name_are_refused(module_tree: Path) -> None:
    trusted = trusted_after_full_validation(module_tree)
    shutil.copy(module_tree / "lab-safety-101.json", module_tree / "lab-safety-102.json")

    report = same_verdict(module_tree, trusted)

    assert report.files_trusted == 4
    messages = [p.message for p in report.problems]
    assert any("does not match the file name 'lab-safety-102.json'" in m for m in messages)
    assert any("is also used by" in m for m in messages)


def test_a_trusted_file_whose_prerequisite_was_deleted_is_refused(module_tree: Path) -> None:
    trusted = trusted_after_full_validation(module_tree)
    (module_tree / "lab-safety-101.json").unlink()

    report = same_verdict(module_tree, trusted)

    assert report.files_trusted == 2
    assert any("prerequisite 'lab-safety-101' is not a module" in p.message for p in report.problems)


def test_a_small_edit_to_a_trusted_file_gets_it_validated_in_full(module_tree: Path) -> None:
    trusted = trusted_after_full_validation(module_tree)
    path = module_tree / "lab-safety-101.json"
    path.write_bytes(path.read_bytes().replace(b'"estimated_minutes": 10', b'"estimated_minutes": 10.5', 1))

    report = same_verdict(module_tree, trusted)

    assert report.files_trusted == 2
    assert [(Path(p.path).name, p.pointer) for p in report.problems] == [("lab-safety-101.json", "/estimated_minutes")]


def test_a_key_is_honoured_as_given_which_is_why_only_deploy_records_keys(module_tree: Path) -> None:
    # Shows the skip is real: a schema-invalid file whose key is trusted passes. Keys therefore come only from
    # revisions that deploy wrote after validating those very bytes with this very validator.
    path = module_tree / "lab-safety-101.json"
    edit(path, lambda data: data.update(estimated_minutes="ten"))
    forged = {validation_key(path.read_bytes()): {}}

    assert not validate_paths([module_tree], Settings(modules_dir=module_tree)).ok
    assert validate_paths([module_tree], Settings(modules_dir=module_tree), forged).ok


def test_keys_from_another_validator_version_trust_nothing(module_tree: Path) -> None:
    path = module_tree / "lab-safety-101.json"
    edit(path, lambda data: data.update(estimated_minutes="ten"))
    # The same bytes, recorded by a validator whose schema or code differed (so it may have accepted them).
    old_validator = {
        validation_key(p.read_bytes(), "fingerprint-of-an-older-validator"): {} for p in module_tree.glob("*.json")
    }

    report = same_verdict(module_tree, old_validator)

    assert report.files_trusted == 0 and not report.ok


def test_the_validate_command_never_trusts(module_tree: Path) -> None:
    path = module_tree / "lab-safety-101.json"
    edit(path, lambda data: data.update(estimated_minutes="ten"))

    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", str(module_tree)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1 and "/estimated_minutes" in done.stdout


# --- the fingerprint ---------------------------------------------------------------------------------


def test_the_fingerprint_changes_with_any_byte_of_schema_or_code_or_a_library_version(tmp_path: Path) -> None:
    schema, code = tmp_path / "module-schema.json", tmp_path / "validate.py"
    schema.write_text('{"type": "object"}')
    code.write_text("RULES = 1\n")
    before = fingerprint_of([schema, code], ["markdown-it-py 4.3.0"])

    assert fingerprint_of([schema, code], ["markdown-it-py 4.3.0"]) == before
    assert fingerprint_of([schema, code], ["markdown-it-py 4.3.1"]) != before
    code.write_text("RULES = 2\n")
    assert fingerprint_of([schema, code], ["markdown-it-py 4.3.0"]) != before
    code.write_text("RULES = 1\n")
    schema.write_text('{"type": "array"}')
    assert fingerprint_of([schema, code], ["markdown-it-py 4.3.0"]) != before


def test_the_fingerprint_covers_every_pipeline_module_the_validator_imports() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, pipeline.validate.rules; "
            "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.split('.')[0] == 'pipeline'))",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    pipeline_dir = REPO_ROOT / "pipeline"
    imported = {Path(line).relative_to(pipeline_dir).as_posix() for line in done.stdout.split()}
    assert imported and imported <= set(VALIDATOR_SOURCES)


def test_the_fingerprint_is_stable_within_a_process_and_keys_depend_on_it() -> None:
    assert validator_fingerprint() == validator_fingerprint()
    assert validation_key(b"{}") == validation_key(b"{}", validator_fingerprint())
    assert validation_key(b"{}", "a") != validation_key(b"{}", "b")
    assert validation_key(b"{}") != validation_key(b"{} ")


# --- full and incremental agree on whatever happens to the tree --------------------------------------


def _delete_asset(data: Path) -> None:
    (data / "assets" / "lab-safety-101" / "floor-plan.png").unlink()


def _asset_becomes_folder(data: Path) -> None:
    target = data / "assets" / "equipment-tour" / "bench.png"
    target.unlink()
    target.mkdir()


def _shrink_image(data: Path) -> None:
    tiny_png(data / "assets" / "equipment-tour" / "bench.png", 100, 100)


def _schema_error(data: Path) -> None:
    edit(data / "modules" / "equipment-tour.json", lambda d: d.update(estimated_minutes="ten"))


def _reformat(data: Path) -> None:  # other bytes, same content
    path = data / "modules" / "lab-safety-101.json"
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4) + "\n")


def _raw_html(data: Path) -> None:
    edit(data / "modules" / "lab-map.json", lambda d: d["sections"][1].update(content="Click <b>here</b>."))


def _missing_markdown_image(data: Path) -> None:
    path = data / "modules" / "lab-map.json"
    path.write_text(path.read_text().replace("floor-plan.png", "no-such-plan.png"))


def _rename(data: Path) -> None:
    (data / "modules" / "first-pull-request.json").rename(data / "modules" / "first-pr.json")


def _copy_trusted_bytes(data: Path) -> None:
    shutil.copy(data / "modules" / "lab-map.json", data / "modules" / "lab-map-2.json")


def _delete_module(data: Path) -> None:
    (data / "modules" / "lab-safety-101.json").unlink()


def _cycle(data: Path) -> None:
    edit(data / "modules" / "lab-safety-101.json", lambda d: d.update(prerequisites=["lab-map"]))


def _duplicate_key(data: Path) -> None:
    path = data / "modules" / "first-pull-request.json"
    path.write_text(path.read_text().replace("{", '{\n  "title": "Twice",', 1))


def _too_deep(data: Path) -> None:
    edit(
        data / "modules" / "first-pull-request.json",
        lambda d: d["metadata"].update(deep=json.loads("[" * 70 + "]" * 70)),
    )


def _not_utf8(data: Path) -> None:
    path = data / "modules" / "equipment-tour.json"
    path.write_bytes(path.read_bytes().replace(b"bench", b"b\xffnch", 1))


def _hotspot_ids(data: Path) -> None:
    def change(d: dict) -> None:
        hotspots = next(s for s in d["sections"] if s["section_type"] == "interactive")["content"]["hotspots"]
        hotspots[1]["id"] = hotspots[0]["id"]

    edit(data / "modules" / "equipment-tour.json", change)


MUTATIONS = [
    _delete_asset,
    _asset_becomes_folder,
    _shrink_image,
    _schema_error,
    _reformat,
    _raw_html,
    _missing_markdown_image,
    _rename,
    _copy_trusted_bytes,
    _delete_module,
    _cycle,
    _duplicate_key,
    _too_deep,
    _not_utf8,
    _hotspot_ids,
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(MUTATIONS), max_size=4, unique=True))
def test_full_and_incremental_validation_agree_after_any_mutations(mutations: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = copy_sample_data(Path(tmp))
        add_markdown_image_module(data / "modules")
        trusted = trusted_after_full_validation(data / "modules")
        for mutate in mutations:
            with contextlib.suppress(OSError, ValueError):  # an earlier mutation removed or broke its target
                mutate(data)

        same_verdict(data / "modules", trusted)


@pytest.mark.parametrize("mutate", MUTATIONS, ids=lambda m: m.__name__.strip("_"))
def test_each_mutation_alone_gives_the_same_verdict(module_tree: Path, mutate: Callable[[Path], None]) -> None:
    add_markdown_image_module(module_tree)
    trusted = trusted_after_full_validation(module_tree)
    mutate(module_tree.parent)

    report = same_verdict(module_tree, trusted)

    assert report.ok == (mutate is _reformat)


# --- asset paths without pathlib (the string rule must refuse exactly what the PurePosixPath rule did) ---


def _asset_path_by_pathlib(media_url: str, assets_dir: Path) -> Path | None:
    relative = PurePosixPath(media_url[len("/assets/") :])
    if relative.is_absolute() or any(part in ("", ".", "..") for part in relative.parts) or not relative.parts:
        return None
    return assets_dir.joinpath(*relative.parts)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="/.ab\\ \x00", max_size=14))
def test_asset_path_matches_the_pathlib_rule(rest: str) -> None:
    assert asset_path("/assets/" + rest, Path("data/assets")) == _asset_path_by_pathlib(
        "/assets/" + rest, Path("data/assets")
    )
