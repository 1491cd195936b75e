"""`python -m pipeline preview` writes a self-contained folder a reviewer can open from an artifact."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote

from pipeline.cli import main
from pipeline.preview.build import build_preview
from pipeline.settings import Settings
from tests.preview.html_scan import assert_inert, scan

SETTINGS = Settings.from_env({})


def _local_links(page_path: Path) -> list[Path]:
    page = scan(page_path.read_text(encoding="utf-8"))
    urls = [e.attrs.get(a) or "" for e in page.elements for a in ("href", "src") if a in e.attrs]
    return [
        (page_path.parent / unquote(u.split("#")[0])).resolve()
        for u in urls
        if u and not u.startswith(("#", "https:", "http:", "mailto:"))
    ]


def test_preview_of_the_samples_is_self_contained(module_tree: Path, tmp_path: Path):
    # given the sample modules; when the preview is built
    out = tmp_path / "preview"
    result = build_preview([module_tree], out, SETTINGS)
    # then there is an index and one page per module, and every local link and image resolves inside the folder
    pages = sorted(p.name for p in (out / "modules").iterdir())
    assert pages == ["equipment-tour.html", "first-pull-request.html", "lab-safety-101.html"]
    assert result.assets_copied == 3
    index = assert_inert((out / "index.html").read_text(encoding="utf-8"))
    assert sorted(a.attrs["href"] for a in index.find("a")) == [f"modules/{p}" for p in pages]
    for page_path in [out / "index.html", *(out / "modules").iterdir()]:
        assert_inert(page_path.read_text(encoding="utf-8"))
        for target in _local_links(page_path):
            assert target.is_file() and target.is_relative_to(out.resolve()), f"{page_path.name} -> {target}"
    assert (out / "assets/lab-safety-101/floor-plan.png").read_bytes() == (
        module_tree.parent / "assets/lab-safety-101/floor-plan.png"
    ).read_bytes()


def test_markdown_image_from_assets_is_copied_and_shown(module_tree: Path, tmp_path: Path):
    # given a text section that shows an image from data/assets inline
    path = module_tree / "first-pull-request.json"
    image = "\\n\\n![flow](/assets/lab-safety-101/floor-plan.png)"
    end = "small PRs are reviewed faster."
    path.write_text(path.read_text().replace(end, end + image))
    # when only that module is previewed
    build_preview([path], tmp_path / "out", SETTINGS)
    # then the image is copied and the page points at the copy
    page = scan((tmp_path / "out/modules/first-pull-request.html").read_text())
    assert "../assets/lab-safety-101/floor-plan.png" in [i.attrs["src"] for i in page.find("img")]
    assert (tmp_path / "out/assets/lab-safety-101/floor-plan.png").is_file()


def test_unreadable_module_is_listed_and_the_others_still_previewed(module_tree: Path, tmp_path: Path, capsys):
    (module_tree / "broken.json").write_text('{"module_id": "broken", "module_id": "twice"}')
    code = main(["preview", str(module_tree), "--out", str(tmp_path / "out")])
    assert code == 0
    assert "3 module page(s)" in capsys.readouterr().out
    index = scan((tmp_path / "out/index.html").read_text())
    assert "duplicate" in " ".join(e.text for e in index.find("div", class_="error"))


def test_rebuild_replaces_an_earlier_preview_but_never_a_foreign_folder(module_tree: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert main(["preview", str(module_tree), "--out", str(out)]) == 0
    # given a module that is gone since the last preview: its page goes too
    (module_tree / "equipment-tour.json").unlink()
    assert main(["preview", str(module_tree), "--out", str(out)]) == 0
    assert not (out / "modules/equipment-tour.html").exists()
    # a folder with other files in it is refused, untouched
    foreign = tmp_path / "docs"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    capsys.readouterr()
    assert main(["preview", str(module_tree), "--out", str(foreign)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_missing_paths_and_empty_folders_are_usage_errors(tmp_path: Path, capsys):
    assert main(["preview", str(tmp_path / "nope.json"), "--out", str(tmp_path / "out")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["preview", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "no module files" in err
    assert "Traceback" not in err


def test_missing_asset_is_named_on_the_page(module_tree: Path, tmp_path: Path):
    shutil.rmtree(module_tree.parent / "assets" / "equipment-tour")
    build_preview([module_tree / "equipment-tour.json"], tmp_path / "out", SETTINGS)
    page = scan((tmp_path / "out/modules/equipment-tour.html").read_text())
    assert "Missing file: /assets/equipment-tour/bench.png" in page.text


def test_a_summary_path_that_is_a_folder_is_a_usage_error_not_a_traceback(module_tree: Path, tmp_path: Path, capsys):
    code = main(["preview", str(module_tree), "--out", str(tmp_path / "out"), "--summary", str(tmp_path)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: --summary {tmp_path}: cannot append") and "Traceback" not in err


def test_an_out_folder_that_cannot_be_created_is_a_usage_error_not_a_traceback(
    module_tree: Path, tmp_path: Path, capsys
):
    a_file = tmp_path / "site"
    a_file.write_text("not a folder")

    code = main(["preview", str(module_tree), "--out", str(a_file / "preview")])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {a_file / 'preview'}: --out cannot be written") and "Traceback" not in err
