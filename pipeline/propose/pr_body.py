"""The title and Markdown body of a module pull request, for its reviewer (pure functions; see docs/review.md)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.module.canonical import content_hash
from pipeline.module.diff import ChangeKind, ModuleDiff, diff_modules, text_diff
from pipeline.module.places import describe_place
from pipeline.module.problems import Problem
from pipeline.report import markdown_cell
from pipeline.review.neutralise import neutralise

PREVIEW_ARTIFACT = "module-preview"
STATUS_CONTEXT = "modules/validate"
MAX_BODY_CHARS = 65_000  # GitHub refuses a PR body over 65,536 characters
_DIFF_LIMITS = (6000, 1500, 300)
_MAX_PROBLEMS = 50  # per diff; shorter ones when a big change would not fit otherwise
REEXPORT = (
    "Fix them in Notion: the page stays Ready, and the next export (the nightly run, or Actions → export → "
    "Run workflow) updates this PR."
)
NOTES_START, NOTES_END = "<!-- export-notes -->", "<!-- /export-notes -->"


def reviewer_problem(problem: Problem, data: Mapping[str, Any] | None) -> str:
    """`section #6 'Check yourself', question 1: <message> (line 42, /sections/5/content/questions/0)`."""
    place = describe_place(data, problem.pointer).text()
    where = ", ".join(part for part in (f"line {problem.line}" if problem.line else "", problem.pointer) if part)
    return f"{place or 'the module'}: {problem.message}" + (f" ({where})" if where else "")


def pr_title(data: Mapping[str, Any]) -> str:
    """`Module: <title> (<module_id>) r<revision>`."""
    revision = (data.get("metadata") or {}).get("revision", "?")
    title = neutralise(str(data.get("title", "")), markdown=False)  # a title still links `#123`
    return f"Module: {title} ({data.get('module_id', '')}) r{revision}"


def marker(module_id: str) -> str:
    """The hidden comment that ties a PR to its module."""
    return f"<!-- frames-module: {module_id} -->"


def edited_after_export(main_data: Mapping[str, Any] | None) -> bool:
    """True when main's file no longer matches the content hash its exporter recorded (edited in GitHub)."""
    recorded = ((main_data or {}).get("metadata") or {}).get("content_hash")
    return bool(recorded) and recorded != content_hash(main_data or {})


def _fence(diff: str, limit: int) -> str:
    if len(diff) > limit:
        diff = diff[:limit] + "\n… (diff shortened; see the Files tab)\n"
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", diff)), default=0))  # longer than any inside
    return f"{fence}diff\n{diff.rstrip()}\n{fence}"


def _cell(value: Any) -> str:
    """Notion text in a table cell: nothing formats, pings (`@user`) or links an issue (`#12`)."""
    return neutralise(markdown_cell(value), markdown=False)  # markdown_cell already escaped the HTML


def _divergence_block(change: ModuleDiff, limit: int) -> list[str]:
    lines = [
        "> [!WARNING]",
        "> **`main`'s copy of this module was edited in GitHub after the last export.** Merging this PR "
        "replaces that edit with the Notion content below. If the edit (e.g. a typo fix) should stay, make it "
        "in Notion too and re-export, or close this PR.",
        "",
        "<details open><summary>What this export would overwrite (main's edited text → exported text)</summary>",
        "",
    ]
    for field in change.field_changes:
        lines += [f"`{field.field}`", "", _fence(text_diff(field.old, field.new, field.field), limit), ""]
    for section in change.section_changes:
        if section.text_diff:
            title = neutralise(section.title)
            lines += [f"Section `{section.section_id}` — {title}", "", _fence(section.text_diff, limit), ""]
        elif section.kind in ("added", "removed"):
            lines += [f"Section `{section.section_id}` — {neutralise(section.title)}: {section.kind}", ""]
    return [*lines, "</details>", ""]


def _changes_block(change: ModuleDiff, old: Mapping[str, Any] | None, new: Mapping[str, Any], limit: int) -> list[str]:
    if change.is_new:
        return ["**New module.**", ""]
    lines: list[str] = []
    old_minutes, new_minutes = (old or {}).get("estimated_minutes"), new.get("estimated_minutes")
    if old_minutes != new_minutes:
        lines += [f"**Estimated minutes:** {old_minutes} → {new_minutes}", ""]
    fields = [f for f in change.field_changes if f.field != "estimated_minutes"]
    if fields:
        lines += ["| field | before | after |", "| --- | --- | --- |"]
        lines += [f"| `{f.field}` | {_cell(f.old)} | {_cell(f.new)} |" for f in fields]
        lines.append("")
    labels: dict[ChangeKind, str] = {"added": "Added", "changed": "Changed", "removed": "Removed", "moved": "Moved"}
    for kind, label in labels.items():
        sections = change.sections(kind)
        if not sections:
            continue
        lines.append(f"**{label} sections:**")
        for s in sections:
            # "section 2", never "#2": GitHub would link issue 2
            where = {
                "added": f"as section {s.new_number}",
                "removed": f"was section {s.old_number}",
                "moved": f"section {s.old_number} → {s.new_number}",
                "changed": f"section {s.new_number}: {', '.join(s.changed_fields)}",
            }[kind]
            lines.append(f"- `{s.section_id}` {neutralise(s.title)} ({where})")
        lines.append("")
    diffs = [s for s in change.sections("changed") if s.text_diff]
    if diffs:
        lines += ["<details><summary>Text changes</summary>", ""]
        for s in diffs:
            lines += [f"`{s.section_id}`", "", _fence(s.text_diff, limit), ""]
        lines += ["</details>", ""]
    return lines or ["Only export bookkeeping changed.", ""]


def _preview_block(new: Mapping[str, Any]) -> list[str]:
    sections = [s for s in new.get("sections") or [] if isinstance(s, Mapping)]
    types = Counter(str(s.get("section_type")) for s in sections)
    contents = [content for s in sections if isinstance(content := s.get("content"), Mapping)]
    hotspots = sum(len(c.get("hotspots") or []) for c in contents)
    questions = sum(len(c.get("questions") or []) for c in contents)
    by_type = ", ".join(f"{n} {t}" for t, n in sorted(types.items())) or "none"
    return [
        "### Preview",
        "",
        f"{len(sections)} sections ({by_type}); {hotspots} hotspots; {questions} quiz questions; "
        f"about {new.get('estimated_minutes', '?')} minutes.",
        "",
        f"The rendered preview is attached to the validate workflow run as the `{PREVIEW_ARTIFACT}` artifact.",
        "",
    ]


def render_pr_body(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    problems: Sequence[str],
    *,
    notion_url: str | None,
    reason: str | None = None,
    export_notes: Sequence[str] = (),
) -> str:
    """The PR body: divergence warning, people, what changed, Notion link, what export left out, validation,
    preview summary, marker."""
    change = diff_modules(old, new)
    for limit in _DIFF_LIMITS:
        body = _render(change, old, new, problems, notion_url, reason, limit, export_notes)
        if len(body) <= MAX_BODY_CHARS:
            return body
    marker_line = marker(str(new.get("module_id", "")))
    return body[: MAX_BODY_CHARS - 200] + "\n\n… (shortened to fit GitHub's limit; see the Files tab)\n" + marker_line


def _render(
    change: ModuleDiff,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    problems: Sequence[str],
    notion_url: str | None,
    reason: str | None,
    limit: int,
    export_notes: Sequence[str] = (),
) -> str:
    module_id = str(new.get("module_id", ""))
    lines: list[str] = []
    if edited_after_export(old):
        lines += _divergence_block(change, limit)
    revision = (new.get("metadata") or {}).get("revision")
    lines += [f"## {neutralise(str(new.get('title', module_id)))} (`{module_id}`), revision {revision}", ""]
    if reason:
        lines += [f"**Reason:** {neutralise(reason)}", ""]
    lines += [
        f"**Notion page:** {notion_url}" if notion_url else "**Notion page:** none (not exported from Notion)",
        "",
        f"**Team lead:** {_person(new.get('created_by_id'))} · **Owner:** {_person(new.get('owner_id'))}",
        "",
        "### What changed",
        "",
        *_changes_block(change, old, new, limit),
        *export_notes_block(export_notes),
        "### Validation",
        "",
    ]
    if problems:
        lines += [
            f"❌ **{len(problems)} problem(s)** — the `{STATUS_CONTEXT}` status is failing. {REEXPORT}",
            "",
        ]
        lines += [f"- `{p.replace('`', chr(39))}`" for p in problems[:_MAX_PROBLEMS]]
        if len(problems) > _MAX_PROBLEMS:
            lines.append(f"- … and {len(problems) - _MAX_PROBLEMS} more: run `python -m pipeline validate`")
        lines.append("")
    else:
        lines += [f"✅ Valid (schema and semantic rules); status `{STATUS_CONTEXT}`: success.", ""]
    lines += _preview_block(new)
    lines += [
        "---",
        "Review guide: `docs/review.md`. Request changes in Notion, not in this JSON.",
        marker(module_id),
        "",
    ]
    return "\n".join(lines)


def _person(person_id: Any) -> str:
    return f"`{person_id}`" if isinstance(person_id, str) and person_id else "not set"


def export_notes_block(notes: Sequence[str]) -> list[str]:
    """What the export left out or changed on the Notion page (also posted there as a comment), between markers."""
    if not notes:
        return []
    lines = [NOTES_START, "### What the export left out or changed", ""]
    lines += ["The team lead was told on the Notion page too. Check that students do not miss these:", ""]
    lines += [f"- {_short_note(note)}" for note in notes[:_MAX_PROBLEMS]]
    if len(notes) > _MAX_PROBLEMS:
        lines.append(f"- … and {len(notes) - _MAX_PROBLEMS} more (see the export run's log)")
    return [*lines, "", NOTES_END, ""]


def keep_export_notes(body: str, previous: str | None) -> str:
    """`body` with the export notes of the `previous` body, when this run did not read the Notion page again."""
    old = previous or ""
    start, end = old.find(NOTES_START), old.find(NOTES_END)
    anchor = "### Validation"
    if NOTES_START in body or start < 0 or end < start or anchor not in body:
        return body
    block = old[start : end + len(NOTES_END)]
    return body.replace(anchor, f"{block}\n\n{anchor}", 1)


def _short_note(note: str) -> str:
    return "`" + note.replace("\n", " ").replace("`", "'") + "`"


def status_description(problems: Sequence[str]) -> str:
    """A commit status description, leading with the first problem (GitHub keeps at most 140 characters)."""
    if not problems:
        return "Module file valid"
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    head = problems[0]
    if len(head) + len(more) > 140:
        head = head[: 139 - len(more)] + "…"
    return head + more
