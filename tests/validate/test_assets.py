"""Module media: real files inside data/assets/, of an allowed type by name and content; ids Windows can check out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.module.document import is_valid_id
from pipeline.module.media import MEDIA_TYPES, media_problem
from pipeline.module.problems import Problem
from pipeline.preview.build import build_preview
from pipeline.settings import Settings
from pipeline.validate.rules import validate_paths
from tests.module_builders import sample_module, write_json
from tests.paths import SAMPLE_ASSETS

PNG = (SAMPLE_ASSETS / "lab-safety-101" / "floor-plan.png").read_bytes()
HEADS = {
    "image/png": PNG[:64],
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "image/gif": b"GIF89a\x01\x00\x01\x00",
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "video/mp4": b"\x00\x00\x00\x18ftypmp42",
    "video/webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81",
    "application/pdf": b"%PDF-1.7\n",
}
SCRIPTED_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


def with_image(module_tree: Path, url: str) -> list[Problem]:
    """Validate the lab-safety sample whose interactive section (4) shows the image at `url`."""
    data = sample_module()
    data["sections"][3]["media_url"] = url
    path = write_json(module_tree / "lab-safety-101.json", data)
    return list(validate_paths([path], Settings(modules_dir=module_tree)).problems)


def assets(module_tree: Path) -> Path:
    return module_tree.parent / "assets"


def test_a_symlink_to_a_file_outside_data_assets_is_refused_and_says_why(module_tree: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "passwd.png"
    secret.parent.mkdir()
    secret.write_bytes(PNG)
    (assets(module_tree) / "lab-safety-101" / "plan.png").symlink_to(secret)

    problems = with_image(module_tree, "/assets/lab-safety-101/plan.png")

    assert [p.pointer for p in problems] == ["/sections/3/media_url"]
    assert "symbolic link" in problems[0].message and "outside data/assets/" in problems[0].message


def test_a_file_inside_a_symlinked_folder_is_refused(module_tree: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.png").write_bytes(PNG)
    (assets(module_tree) / "linked").symlink_to(elsewhere, target_is_directory=True)

    problems = with_image(module_tree, "/assets/linked/a.png")

    assert [p.pointer for p in problems] == ["/sections/3/media_url"] and "symbolic link" in problems[0].message


def test_a_symlinked_asset_in_markdown_is_refused_too(module_tree: Path) -> None:
    (assets(module_tree) / "lab-safety-101" / "etc").symlink_to("/etc", target_is_directory=True)
    data = sample_module()
    data["sections"][0]["content"] = "Look: ![x](/assets/lab-safety-101/etc/hostname)"
    path = write_json(module_tree / "lab-safety-101.json", data)

    problems = validate_paths([path], Settings(modules_dir=module_tree)).problems

    assert [p.pointer for p in problems] == ["/sections/0/content"] and "symbolic link" in problems[0].message


def test_a_symlink_that_stays_inside_data_assets_is_fine(module_tree: Path) -> None:
    (assets(module_tree) / "lab-safety-101" / "alias.png").symlink_to("floor-plan.png")
    assert with_image(module_tree, "/assets/lab-safety-101/alias.png") == []


def test_preview_does_not_copy_what_validate_refuses(module_tree: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG + b"SECRET")
    (assets(module_tree) / "lab-safety-101" / "plan.png").symlink_to(secret)
    (assets(module_tree) / "lab-safety-101" / "x.svg").write_bytes(SCRIPTED_SVG)
    data = sample_module()
    data["sections"][3]["media_url"] = "/assets/lab-safety-101/plan.png"
    data["sections"][0]["content"] = "![s](/assets/lab-safety-101/x.svg)"
    write_json(module_tree / "lab-safety-101.json", data)

    build_preview([module_tree / "lab-safety-101.json"], tmp_path / "out", Settings(modules_dir=module_tree))

    copied = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert not any(b"SECRET" in p.read_bytes() or b"<script" in p.read_bytes() for p in copied)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("drawing.svg", SCRIPTED_SVG),
        ("drawing.SVG", SCRIPTED_SVG),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("page.htm", b"<p>hi</p>"),
        ("disguised.png", SCRIPTED_SVG),  # right name, wrong content
        ("disguised.jpg", b"<html><script>alert(1)</script></html>"),
        ("run.exe", b"MZ\x90\x00"),
        ("noextension", PNG),
        ("empty.png", b""),
    ],
)
def test_only_the_listed_media_types_pass_checked_by_content(module_tree: Path, name: str, content: bytes) -> None:
    (assets(module_tree) / "lab-safety-101" / name).write_bytes(content)

    problems = with_image(module_tree, f"/assets/lab-safety-101/{name}")

    assert [p.pointer for p in problems] == ["/sections/3/media_url"], [str(p) for p in problems]
    assert "PNG, JPEG" in problems[0].message or "content is not" in problems[0].message


@pytest.mark.parametrize("media", MEDIA_TYPES, ids=lambda m: m.label)
def test_every_listed_media_type_passes_under_each_of_its_extensions(module_tree: Path, media) -> None:
    for extension in media.extensions:
        name = f"file{extension.upper() if extension == '.png' else extension}"
        (assets(module_tree) / "lab-safety-101" / name).write_bytes(HEADS[media.content_type])
        problems = with_image(module_tree, f"/assets/lab-safety-101/{name}")
        assert problems == [] or all("outside the" in p.message for p in problems), [str(p) for p in problems]


def test_every_extension_export_gives_a_download_is_one_validate_accepts() -> None:
    # export names a download <hash><media.extensions[0]> after checking its type and content the same way
    for media in MEDIA_TYPES:
        assert media_problem("0123456789abcdef" + media.extensions[0], HEADS[media.content_type]) is None


@pytest.mark.parametrize("module_id", ["con", "nul", "prn", "aux", "com1", "com9", "lpt1", "lpt9"])
def test_windows_device_names_are_refused_as_module_ids(module_tree: Path, module_id: str) -> None:
    assert not is_valid_id(module_id)
    path = write_json(module_tree / f"{module_id}.json", sample_module(module_id=module_id))

    problems = validate_paths([path], Settings(modules_dir=module_tree)).problems

    assert [p.pointer for p in problems] == ["/module_id"]
    assert "Windows" in problems[0].message and f"{module_id}.json" in problems[0].message


@pytest.mark.parametrize("module_id", ["con-1", "console", "com10", "lpt0", "auxiliary", "nul-safety"])
def test_ids_that_only_contain_a_device_name_are_fine(module_id: str) -> None:
    assert is_valid_id(module_id)


@pytest.mark.parametrize("name", ["aux.png", "CON.png", "nul.tar.png", "Com3.PNG"])
def test_asset_files_named_after_windows_devices_are_refused(module_tree: Path, name: str) -> None:
    folder = assets(module_tree) / "lab-safety-101"
    try:
        (folder / name).write_bytes(PNG)
    except OSError:
        pytest.skip("this file system refuses the name itself")
    problems = with_image(module_tree, f"/assets/lab-safety-101/{name}")
    assert [p.pointer for p in problems] == ["/sections/3/media_url"] and "Windows" in problems[0].message
    os.unlink(folder / name)
