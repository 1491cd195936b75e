"""Pure rendering of the reviewer preview: one module document (and its changes) to one HTML page, and the index.

Everything from a module file is escaped with html.escape; Markdown goes through markdown-it-py with raw HTML off
and unsafe links left as text; the page's Content-Security-Policy (preview_style) lets no script run regardless.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.module.assets import is_local_asset
from pipeline.module.diff import CHANGE_KINDS, ModuleDiff, SectionChange
from pipeline.module.markdown_policy import link_scheme
from pipeline.preview.experiments import render_experiments
from pipeline.preview.markdown import PreviewAsset, esc, render_markdown
from pipeline.preview.style import page_shell
from pipeline.report import short_text

__all__ = ["Comparison", "IndexEntry", "PreviewAsset", "render_index", "render_markdown", "render_module_page"]


@dataclass(frozen=True)
class Comparison:
    """A module compared with its version at the base ref (`base` None: the module is new)."""

    ref: str
    diff: ModuleDiff
    base: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class IndexEntry:
    """One line of the index: a module page, or a file that could not be previewed (`error`)."""

    module_id: str
    title: str
    source: str
    href: str | None
    section_types: tuple[str, ...] = ()
    comparison: Comparison | None = None
    error: str | None = None
    description: str = ""
    removed: bool = False  # the module file is gone since the base ref


# --- Sections ---------------------------------------------------------------------------------------------------


def _unexpected(what: str, value: Any) -> str:
    shown = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return f'<p class="note">{esc(what)} (validate reports this); as stored:</p><pre>{esc(shown)}</pre>'


def _markdown_block(value: Any, assets: Mapping[str, PreviewAsset]) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        return _unexpected("content should be Markdown text", value)
    return render_markdown(value, assets)


def _media(url: Any, kind: str, assets: Mapping[str, PreviewAsset]) -> str:
    if not isinstance(url, str) or not url:
        return f'<p class="note">This {esc(kind)} section has no media_url.</p>'
    if is_local_asset(url):
        asset = assets.get(url)
        if asset is None or asset.href is None:
            return f'<p class="note">Missing file: <code>{esc(url)}</code> is not under data/assets/.</p>'
        if kind == "video":
            return f'<video controls preload="metadata" src="{esc(asset.href)}"></video>'
        return f'<img src="{esc(asset.href)}" alt="">'
    link = (
        f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{esc(url)}</a>'
        if link_scheme(url) == "https"
        else f"<code>{esc(url)}</code>"
    )
    return f'<p class="external">External {esc(kind)}, not loaded in the preview: {link}</p>'


def _hotspot_figure(url: Any, hotspots: list[Any], assets: Mapping[str, PreviewAsset]) -> str:
    asset = assets.get(url) if isinstance(url, str) else None
    if asset is None or asset.href is None or asset.size is None or 0 in asset.size:
        return _media(url, "image", assets) + '<p class="note">Hotspot markers need a local image of known size.</p>'
    width, height = asset.size
    markers = []
    for number, spot in enumerate(hotspots, 1):
        if not isinstance(spot, Mapping) or not all(isinstance(spot.get(k), int) for k in ("x", "y")):
            continue
        left = min(100.0, max(0.0, spot["x"] / width * 100))
        top = min(100.0, max(0.0, spot["y"] / height * 100))
        flip = " flip" if left > 60 else ""
        markers.append(
            f'<span class="hotspot{flip}" style="left:{left:.3f}%;top:{top:.3f}%"'
            f' data-hotspot-id="{esc(spot.get("id"))}" data-x="{spot["x"]}" data-y="{spot["y"]}"'
            f' title="{esc(spot.get("label", ""))}">{number}'
            f'<span class="hotspot-label">{esc(spot.get("label", ""))}</span></span>'
        )
    return (
        f'<figure><div class="hotspot-image" data-width="{width}" data-height="{height}">'
        f'<img src="{esc(asset.href)}" alt="">{"".join(markers)}</div></figure>'
    )


def _render_interactive(section: Mapping[str, Any], assets: Mapping[str, PreviewAsset]) -> str:
    content = section.get("content")
    if not isinstance(content, Mapping) or not isinstance(content.get("hotspots"), list):
        return _unexpected("content should be {instruction, hotspots, completion_criteria}", content)
    hotspots = content["hotspots"]
    criteria = found if isinstance(found := content.get("completion_criteria"), Mapping) else {}
    required = (
        set(criteria.get("required_hotspots") or []) if isinstance(criteria.get("required_hotspots"), list) else set()
    )
    parts = [
        f"<p><strong>{esc(content.get('instruction', ''))}</strong></p>",
        _hotspot_figure(section.get("media_url"), hotspots, assets),
        '<ol class="hotspots">',
    ]
    for spot in hotspots:
        if not isinstance(spot, Mapping):
            parts.append(f"<li>{_unexpected('a hotspot should be an object', spot)}</li>")
            continue
        must = ' <span class="change change-added">required</span>' if spot.get("id") in required else ""
        description = f" — {esc(spot['description'])}" if spot.get("description") else ""
        parts.append(
            f"<li><strong>{esc(spot.get('label', ''))}</strong>{must}{description} "
            f'<span class="meta">(<code>{esc(spot.get("id", ""))}</code> at x {esc(spot.get("x"))}, '
            f"y {esc(spot.get('y'))})</span></li>"
        )
    parts.append("</ol>")
    done = []
    if "hotspots_clicked" in criteria:
        done.append(f"after {esc(criteria['hotspots_clicked'])} of {len(hotspots)} hotspots are clicked")
    if required:
        done.append(f"after all {len(required)} required hotspots are clicked")
    parts.append(f'<p class="meta">Complete {" and ".join(done) or "(no completion criteria)"}.</p>')
    return "".join(parts)


def _render_quiz(section: Mapping[str, Any]) -> str:
    content = section.get("content")
    if not isinstance(content, Mapping) or not isinstance(content.get("questions"), list):
        return _unexpected("content should be {questions: [...]}", content)
    parts = [
        f"<p>{esc(content['instruction'])}</p>" if content.get("instruction") else "",
        f'<p class="meta">Pass mark: {esc(content.get("pass_percent", 70))}% correct. '
        "The correct answers are marked for the reviewer; students do not see them.</p>",
        '<ol class="questions">',
    ]
    for question in content["questions"]:
        if not isinstance(question, Mapping) or not isinstance(question.get("choices"), list):
            parts.append(f"<li>{_unexpected('a question should have prompt, choices, correct_choice', question)}</li>")
            continue
        correct = question.get("correct_choice")
        choices = "".join(
            f'<li class="correct">{esc(choice)}<span class="correct-mark">✓ correct answer</span></li>'
            if index == correct
            else f"<li>{esc(choice)}</li>"
            for index, choice in enumerate(question["choices"])
        )
        if not isinstance(correct, int) or not 0 <= correct < len(question["choices"]):
            choices += f'<li class="error">correct_choice {esc(correct)} names no choice</li>'
        explanation = (
            f'<p class="explanation">Explanation: {esc(question["explanation"])}</p>'
            if question.get("explanation")
            else ""
        )
        parts.append(
            f'<li><p><strong>{esc(question.get("prompt", ""))}</strong> <span class="meta">'
            f"(<code>{esc(question.get('question_id', ''))}</code>)</span></p>"
            f'<ol class="choices">{choices}</ol>{explanation}</li>'
        )
    parts.append("</ol>")
    return "".join(parts)


def render_section_body(section: Mapping[str, Any], assets: Mapping[str, PreviewAsset]) -> str:
    """The body of one section, drawn the way its section_type says."""
    kind = section.get("section_type")
    if kind == "text":
        return _markdown_block(section.get("content"), assets) + (
            _media(section["media_url"], "image", assets) if section.get("media_url") else ""
        )
    if kind in ("image", "video"):
        caption = _markdown_block(section.get("content"), assets)
        return (
            f"<figure>{_media(section.get('media_url'), kind, assets)}"
            + (f"<figcaption>{caption}</figcaption>" if caption else "")
            + "</figure>"
        )
    if kind == "interactive":
        return _render_interactive(section, assets)
    if kind == "quiz":
        media = _media(section["media_url"], "image", assets) if section.get("media_url") else ""
        return media + _render_quiz(section)
    return _unexpected(f"unknown section_type {kind!r}", section.get("content"))


def _diff_html(text: str) -> str:
    lines = []
    for line in text.splitlines():
        kind = (
            "hunk"
            if line.startswith(("@@", "---", "+++"))
            else "add"
            if line.startswith("+")
            else "del"
            if line.startswith("-")
            else "ctx"
        )
        lines.append(f'<span class="{kind}">{esc(line)}</span>')
    return f'<pre class="diff">{"".join(lines)}</pre>'


def _change_badge(change: SectionChange | None) -> str:
    if change is None:
        return ""
    moved = f" from {esc(change.old_number)}" if change.kind == "moved" else ""
    return f'<span class="change change-{esc(change.kind)}">{esc(change.kind)}{moved}</span>'


def render_section(
    section: Mapping[str, Any], assets: Mapping[str, PreviewAsset], change: SectionChange | None = None
) -> str:
    """One section card: number, title, type, duration, its change since the base, and its body."""
    seconds = section.get("duration_seconds")
    duration = f'<span class="meta">~{max(1, round(seconds / 60))} min</span>' if isinstance(seconds, int) else ""
    diff = ""
    if change is not None and change.text_diff:
        diff = (
            f'<details class="diff" open><summary>What changed: {esc(", ".join(change.changed_fields))}</summary>'
            f"{_diff_html(change.text_diff)}</details>"
        )
    return (
        f'<section class="card" id="s-{esc(section.get("section_id", ""))}" '
        f'data-section-type="{esc(section.get("section_type", ""))}"><div class="section-head">'
        f'<h2><span class="num">{esc(section.get("section_number", "?"))}.</span> {esc(section.get("title", ""))}</h2>'
        f'<span class="badge">{esc(section.get("section_type", "?"))}</span>{duration}{_change_badge(change)}</div>'
        f"{diff}{render_section_body(section, assets)}</section>"
    )


# --- Pages ------------------------------------------------------------------------------------------------------


def _facts(doc: Mapping[str, Any], module_hrefs: Mapping[str, str]) -> str:
    def tags(values: Any, link: bool = False) -> str:
        if not isinstance(values, list) or not values:
            return '<span class="meta">none</span>'
        return "".join(
            f'<a class="tag" href="{esc(module_hrefs[v])}">{esc(v)}</a>'
            if link and v in module_hrefs
            else f'<span class="tag">{esc(v)}</span>'
            for v in values
        )

    meta = found if isinstance(found := doc.get("metadata"), Mapping) else {}
    rows = [
        ("Module id", f"<code>{esc(doc.get('module_id', ''))}</code>"),
        ("Category", esc(doc.get("category", ""))),
        ("Estimated time", f"{esc(doc.get('estimated_minutes', '?'))} min"),
        ("Status", esc(doc.get("status", ""))),
        ("Audience", esc(doc.get("target_audience", ""))),
        ("University / cohort", f"{esc(doc.get('university_id', ''))} / {esc(doc.get('cohort') or 'every cohort')}"),
        ("Author / owner", f"{esc(doc.get('created_by_id', ''))} / {esc(doc.get('owner_id') or 'the author')}"),
        ("Prerequisites", tags(doc.get("prerequisites"), link=True)),
        ("Tags", tags(doc.get("tags"))),
        (
            "Source",
            f"{esc(doc.get('content_source', ''))}"
            + (f" ({esc(doc['authoring_method'])})" if doc.get("authoring_method") else ""),
        ),
        (
            "Revision",
            f"{esc(meta.get('revision', '?'))}"
            + (f", exported {esc(meta['exported_at'])}" if meta.get("exported_at") else ""),
        ),
    ]
    return '<dl class="facts">' + "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows) + "</dl>"


def _short(value: Any, limit: int = 160) -> str:
    return esc(short_text(value, limit))


def _changes_card(comparison: Comparison) -> str:
    diff, ref = comparison.diff, esc(comparison.ref)
    if diff.is_new:
        return (
            f'<div class="card changes"><span class="change change-new">new</span> Not in <code>{ref}</code>: '
            "every section below is new.</div>"
        )
    if diff.is_empty:
        return f'<div class="card changes">No content changes since <code>{ref}</code>.</div>'
    parts = [f'<div class="card changes"><strong>Changes since <code>{ref}</code></strong>']
    if diff.field_changes:
        parts.append(
            "<ul>"
            + "".join(
                f"<li><code>{esc(c.field)}</code>: {_short(c.old)} → {_short(c.new)}</li>" for c in diff.field_changes
            )
            + "</ul>"
        )
    items = []
    for change in diff.section_changes:
        if change.kind == "removed":
            old = next(
                (
                    s
                    for s in (comparison.base or {}).get("sections") or []
                    if isinstance(s, Mapping) and s.get("section_id") == change.section_id
                ),
                None,
            )
            was = (
                f'<details class="diff"><summary>removed content</summary>'
                f"<pre>{esc(json.dumps(old.get('content'), indent=2, ensure_ascii=False))}</pre></details>"
                if old
                else ""
            )
            items.append(f"<li>{_change_badge(change)} {esc(change.old_number)}. {esc(change.title)}{was}</li>")
        else:
            items.append(
                f'<li>{_change_badge(change)} <a href="#s-{esc(change.section_id)}">'
                f"{esc(change.new_number)}. {esc(change.title)}</a></li>"
            )
    parts.append("<ul>" + "".join(items) + "</ul></div>")
    return "".join(parts)


def render_module_page(
    doc: Mapping[str, Any],
    assets: Mapping[str, PreviewAsset] | None = None,
    *,
    comparison: Comparison | None = None,
    module_hrefs: Mapping[str, str] | None = None,
    index_href: str = "../index.html",
    source: str = "",
) -> str:
    """The reviewer's page for one module: title, metadata, objectives, every section, and its changes."""
    assets = assets or {}
    changes = {c.section_id: c for c in comparison.diff.section_changes} if comparison else {}
    objectives = doc.get("learning_objectives")
    objectives_html = "".join(f"<li>{esc(o)}</li>" for o in objectives) if isinstance(objectives, list) else ""
    sections = found if isinstance(found := doc.get("sections"), list) else []
    body = [
        f'<p class="crumbs"><a href="{esc(index_href)}">All modules</a> · reviewer preview'
        + (f" of <code>{esc(source)}</code>" if source else "")
        + "</p>",
        f"<h1>{esc(doc.get('title', ''))}</h1>",
        f'<p class="lead">{esc(doc.get("description", ""))}</p>',
        _changes_card(comparison) if comparison else "",
        f'<div class="card">{_facts(doc, module_hrefs or {})}</div>',
        f'<div class="card"><strong>Learning objectives</strong><ol class="objectives">{objectives_html}</ol></div>',
    ]
    for section in sections:
        if isinstance(section, Mapping):
            body.append(render_section(section, assets, changes.get(str(section.get("section_id")))))
        else:
            body.append(f'<section class="card">{_unexpected("a section should be an object", section)}</section>')
    body.append(render_experiments(doc, assets, render_section))
    body.append(
        "<footer>Rendered from the module file for review; the students' app may style it differently. "
        "Quiz answers are shown here only.</footer>"
    )
    return page_shell(f"{esc(doc.get('title', ''))} — module preview", "\n".join(body))


def _type_counts(types: Sequence[str]) -> str:
    counts = {t: types.count(t) for t in dict.fromkeys(types)}
    return ", ".join(f"{n} {esc(t)}" for t, n in counts.items())


def _is_unchanged(entry: IndexEntry) -> bool:
    return entry.comparison is not None and entry.comparison.diff.is_empty and not entry.comparison.diff.is_new


def render_index(entries: Sequence[IndexEntry], base_ref: str | None = None) -> str:
    """The preview's front page: every module with its sections and, with a base ref, what changed."""
    items = []
    for entry in entries:
        status = '<span class="change change-removed">module removed</span>' if entry.removed else ""
        if entry.comparison is not None:
            diff = entry.comparison.diff
            if diff.is_new:
                status = '<span class="change change-new">new</span>'
            elif diff.is_empty:
                status = '<span class="meta">unchanged</span>'
            else:
                kinds = [k for k in CHANGE_KINDS if diff.sections(k)]
                status = " ".join(f'<span class="change change-{k}">{len(diff.sections(k))} {k}</span>' for k in kinds)
                if diff.field_changes:
                    status += f' <span class="change change-changed">{len(diff.field_changes)} field(s)</span>'
        title = (
            f'<a class="title" href="{esc(entry.href)}">{esc(entry.title)}</a>'
            if entry.href
            else f'<span class="title">{esc(entry.title)}</span>'
        )
        detail = (
            f'<div class="error">{esc(entry.error)}</div>'
            if entry.error
            else f'<div class="meta">{len(entry.section_types)} sections: '
            f"{_type_counts(list(entry.section_types))}</div>"
        )
        items.append(
            (
                _is_unchanged(entry),
                f"<li>{title}<div><code>{esc(entry.module_id)}</code> {status}</div>"
                f'<div class="meta">{esc(entry.description)}</div>{detail}</li>',
            )
        )
    items.sort(key=lambda item: item[0])  # what the PR changed first; stable, so otherwise in file order
    against = f" Changes are shown against <code>{esc(base_ref)}</code>." if base_ref else ""
    body = (
        f'<h1>Module preview</h1><p class="lead">{len(entries)} module(s) as students will see them, '
        f"with quiz answers and hotspot positions marked for review.{against}</p>"
        f'<div class="card"><ul class="modules">{"".join(html for _, html in items)}</ul></div>'
    )
    return page_shell("Module preview", body)
