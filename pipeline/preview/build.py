"""The reviewer preview: static HTML pages of module files (and what a PR changed), self-contained and offline.

`python -m pipeline preview PATH… --out DIR [--base REF] [--summary FILE]` writes DIR/index.html,
DIR/modules/<module_id>.html and the referenced files under DIR/assets/, so the folder works from file://
(e.g. downloaded as a CI artifact). Rendering is pure (pipeline.preview.html); this module does the I/O.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.github.git import run_git
from pipeline.module.assets import check_asset, image_size, referenced_assets
from pipeline.module.diff import CHANGE_KINDS, diff_modules
from pipeline.module.document import ModuleDocument, ModuleLoadError, is_valid_id, load_module, parse_module
from pipeline.module.problems import display_path
from pipeline.preview.html import (
    Comparison,
    IndexEntry,
    PreviewAsset,
    render_index,
    render_markdown,
    render_module_page,
)
from pipeline.report import markdown_cell
from pipeline.settings import Settings
from pipeline.validate.rules import collect_module_files

__all__ = [
    "PreviewResult",
    "build_preview",
    "render_index",
    "render_markdown",
    "render_module_page",
    "summarise_preview",
]

log = logging.getLogger(__name__)
# Written into every preview folder, so a rebuild may clear it and nothing else.
MARKER = ".module-preview"


@dataclass(frozen=True)
class PreviewResult:
    """What build_preview wrote: the index page and one entry per module file."""

    out_dir: Path
    index: Path
    entries: tuple[IndexEntry, ...]
    base_ref: str | None
    assets_copied: int

    ok = True  # a module file that cannot be read gets its own entry in the index; validate is what refuses

    def lines(self) -> list[str]:
        return [self.summary()]

    def summary(self) -> str:
        """One line for the terminal."""
        pages = sum(1 for e in self.entries if e.href)
        failed = sum(1 for e in self.entries if e.error)
        tail = f"; {failed} file(s) could not be read (see the index)" if failed else ""
        return f"preview: {pages} module page(s) and {self.assets_copied} asset(s) written; open {self.index}{tail}"


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ConfigError(f"{out_dir}: --out must be a folder, and this is a file")
        if any(out_dir.iterdir()):
            if not (out_dir / MARKER).is_file():
                raise ConfigError(
                    f"{out_dir}: folder is not empty and holds no earlier preview; "
                    "give an empty or new folder for --out"
                )
            shutil.rmtree(out_dir)
    try:
        (out_dir / "modules").mkdir(parents=True, exist_ok=True)
        (out_dir / MARKER).write_text("Written by `python -m pipeline preview`; rebuilt (deleted) on every run.\n")
    except OSError as exc:  # under a file, a read-only disk, no permission
        raise ConfigError(
            f"{out_dir}: --out cannot be written ({exc.strerror}); give a folder you can write to"
        ) from None


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return run_git(cwd, *args, needed_for="preview --base")


def resolve_base(ref: str, cwd: Path) -> str:
    """`ref` as a label with its short commit id; ConfigError when it names no commit here."""
    if not ref or ref.startswith("-"):
        raise ConfigError(f"--base {ref!r}: give a branch, tag or commit such as origin/main")
    found = _git(cwd, "rev-parse", "--verify", "--quiet", "--short", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise ConfigError(
            f"--base {ref}: no such commit in the Git repository at {cwd.resolve()} "
            "(in Actions, check out with fetch-depth: 0 or fetch the base branch)"
        )
    return f"{ref} ({found.stdout.decode().strip()})"


def _existing_anchor(path: Path) -> tuple[Path, str]:
    """The nearest folder of `path` that exists, and `path` relative to it (a PR may delete whole folders)."""
    absolute = path.absolute()
    anchor = absolute.parent
    while not anchor.is_dir():
        anchor = anchor.parent
    return anchor, absolute.relative_to(anchor).as_posix()


def read_base_version(path: Path, ref: str) -> dict[str, Any] | None:
    """The module as it was at `ref` (`git show REF:path`), or None when it did not exist or cannot be read."""
    anchor, relative = _existing_anchor(path)
    shown = _git(anchor, "show", f"{ref}:./{relative}")
    if shown.returncode != 0:
        return None  # not in the base: a new module
    try:
        return parse_module(shown.stdout, path).data
    except ModuleLoadError as exc:
        log.warning("%s at %s cannot be read (%s); treating the module as new", path, ref, exc)
        return None


def _removed_since(paths: Sequence[Path], ref: str) -> list[Path]:
    """Module files at `ref` that the working tree no longer has: given paths that are gone, and folders' files."""
    removed = [p for p in paths if not p.exists()]
    for folder in (p for p in paths if p.is_dir()):
        listed = _git(folder, "ls-tree", "--name-only", ref, "--", "./")
        names = listed.stdout.decode("utf-8", "replace").splitlines() if listed.returncode == 0 else []
        removed.extend(folder / n for n in names if n.endswith(".json") and not (folder / n).exists())
    return removed


def _removed_entry(path: Path, ref: str, label: str) -> IndexEntry:
    base = read_base_version(path, ref)
    if base is None:
        raise ConfigError(f"{path}: no such file or folder, here or at {ref}; give module files or their folder")
    sections = [s for s in base.get("sections") or [] if isinstance(s, Mapping)]
    return IndexEntry(
        str(base.get("module_id", path.stem)),
        str(base.get("title", path.stem)),
        display_path(path),
        None,
        tuple(str(s.get("section_type")) for s in sections),
        removed=True,
        description=f"Removed since {label}: deploy will archive it (students keep their progress).",
    )


def _copy_asset(url: str, assets_dir: Path, out_dir: Path) -> PreviewAsset:
    source = check_asset(url, assets_dir).path
    if source is None:
        return PreviewAsset(None)  # missing, a link out of data/assets/, or not an allowed media type: validate says
    relative = source.relative_to(assets_dir.resolve())
    target = out_dir / "assets" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return PreviewAsset("../assets/" + relative.as_posix(), image_size(source))


def _load(path: Path) -> tuple[ModuleDocument | None, str | None]:
    try:
        return load_module(path), None
    except ModuleLoadError as exc:
        return None, str(exc.problem)


def _module_error(doc: ModuleDocument | None, error: str | None, seen: Mapping[str, Path]) -> str | None:
    if doc is None:
        return error
    if doc.module_id is None or not is_valid_id(doc.module_id):  # it becomes a file name here
        return f"{doc.display_path}: module_id is missing or not lowercase-words-with-hyphens; validate says more"
    if doc.module_id in seen:
        return f"{doc.display_path}: module_id {doc.module_id!r} is also used by {display_path(seen[doc.module_id])}"
    return None


def build_preview(
    paths: Sequence[Path],
    out_dir: Path,
    settings: Settings | None = None,
    base_ref: str | None = None,
    *,
    summary_file: Path | None = None,
) -> PreviewResult:
    """Write the preview of the module files in `paths` (files or folders) to `out_dir`, compared with `base_ref`."""
    settings = settings or Settings.from_env()
    base_label = resolve_base(base_ref, _existing_anchor(paths[0])[0]) if base_ref and paths else None
    removed: list[IndexEntry] = []
    if base_ref and base_label:
        removed = [_removed_entry(p, base_ref, base_label) for p in _removed_since(paths, base_ref)]
        paths = [p for p in paths if p.exists()]
    files = collect_module_files(paths)
    if not files and not removed:
        raise ConfigError(f"no module files in {', '.join(map(str, paths))}; give *.json files or their folder")
    _prepare_out_dir(out_dir)
    loaded = [(path, *_load(path)) for path in files]
    module_hrefs = {doc.module_id: f"{doc.module_id}.html" for _, doc, _ in loaded if doc and doc.module_id}
    assets: dict[str, PreviewAsset] = {}
    entries: list[IndexEntry] = []
    seen: dict[str, Path] = {}
    # Of two files with one module_id, the one named after it gets the page (the other is the copy to look at).
    for path, doc, error in sorted(loaded, key=lambda item: not (item[1] and item[1].module_id == item[0].stem)):
        source = display_path(path)
        problem = _module_error(doc, error, seen)
        if doc is None or problem is not None:
            entries.append(IndexEntry(path.stem, path.name, source, None, error=problem))
            continue
        module_id, data = str(doc.module_id), doc.data
        seen[module_id] = path
        # data/assets beside the module's folder, so `preview other/data/modules` works from anywhere
        assets_dir = settings.assets_dir or path.resolve().parent.parent / "assets"
        for url in referenced_assets(data):
            if url not in assets:
                assets[url] = _copy_asset(url, assets_dir, out_dir)
        comparison = None
        if base_ref:
            base = read_base_version(path, base_ref)
            comparison = Comparison(base_label or base_ref, diff_modules(base, data), base)
        page = render_module_page(data, assets, comparison=comparison, module_hrefs=module_hrefs, source=source)
        (out_dir / "modules" / f"{module_id}.html").write_text(page, encoding="utf-8")
        sections = [s for s in data.get("sections") or [] if isinstance(s, Mapping)]
        entries.append(
            IndexEntry(
                module_id,
                str(data.get("title", module_id)),
                source,
                f"modules/{module_id}.html",
                tuple(str(s.get("section_type")) for s in sections),
                comparison,
                description=str(data.get("description", "")),
            )
        )
    entries.extend(removed)
    index = out_dir / "index.html"
    index.write_text(render_index(entries, base_label), encoding="utf-8")
    copied = sum(1 for a in assets.values() if a.href)
    result = PreviewResult(out_dir, index, tuple(entries), base_label, copied)
    if summary_file is not None:
        _append_summary(summary_file, summarise_preview(result))
    return result


def _append_summary(summary_file: Path, markdown: str) -> None:
    try:
        with summary_file.open("a", encoding="utf-8") as summary:
            summary.write(markdown)
    except OSError as exc:
        raise ConfigError(
            f"--summary {summary_file}: cannot append to it ({exc.strerror}); give a file, such as $GITHUB_STEP_SUMMARY"
        ) from None


def _code(text: str) -> str:
    """Text as a Markdown code span inside a table cell."""
    return "`" + " ".join(text.split()).replace("`", "'").replace("|", "\\|") + "`"


def summarise_preview(result: PreviewResult, artifact: str = "module-preview") -> str:
    """A short Markdown summary (modules, sections by type, changed sections) for $GITHUB_STEP_SUMMARY or a PR."""
    pages = [e for e in result.entries if e.href]
    types = [t for e in pages for t in e.section_types]
    by_type = ", ".join(
        f"{types.count(t)} {markdown_cell(t)}" for t in sorted(set(types), key=lambda t: (-types.count(t), t))
    )
    lines = ["### Module preview", "", f"{len(pages)} module(s), {len(types)} section(s): {by_type or 'none'}."]
    if result.base_ref:
        diffs = [e.comparison.diff for e in pages if e.comparison]
        new = sum(d.is_new for d in diffs)
        unchanged = sum(d.is_empty and not d.is_new for d in diffs)
        removed = sum(e.removed for e in result.entries)
        lines[-1] += (
            f" Against {_code(result.base_ref)}: {new} new, {len(diffs) - new - unchanged} changed, "
            f"{unchanged} unchanged" + (f", {removed} removed." if removed else ".")
        )
    lines += ["", "| module | sections | changes |", "| --- | --- | --- |"]
    for entry in result.entries:
        if entry.error:
            lines.append(f"| {_code(entry.module_id)} | could not be read | {markdown_cell(entry.error, 120)} |")
            continue
        counts = {t: entry.section_types.count(t) for t in dict.fromkeys(entry.section_types)}
        sections = (
            f"{len(entry.section_types)} (" + ", ".join(f"{n} {markdown_cell(t)}" for t, n in counts.items()) + ")"
        )
        lines.append(f"| {markdown_cell(entry.title)} {_code(entry.module_id)} | {sections} | {_changes_cell(entry)} |")
    lines += [
        "",
        f"Open `index.html` in the {_code(artifact)} artifact to see every module as students will, "
        "with quiz answers and hotspot positions marked.",
        "",
    ]
    return "\n".join(lines)


def _changes_cell(entry: IndexEntry) -> str:
    if entry.removed:
        return "module removed"
    if entry.comparison is None:
        return "—"
    diff = entry.comparison.diff
    if diff.is_new:
        return "new module"
    if diff.is_empty:
        return "unchanged"
    parts = [
        f"{len(diff.sections(kind))} {kind}: " + ", ".join(markdown_cell(c.title, 40) for c in diff.sections(kind))
        for kind in CHANGE_KINDS
        if diff.sections(kind)
    ]
    if diff.field_changes:
        parts.append("fields: " + ", ".join(markdown_cell(c.field) for c in diff.field_changes))
    return "; ".join(parts)
