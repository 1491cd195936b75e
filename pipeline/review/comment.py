"""The sticky review comment of a module PR, as GitHub Markdown (pure; posting is pipeline.review.post).

One comment per PR, found again by COMMENT_MARKER: the learner impact first (or why there is none), then each
changed module's added and changed sections rendered as students will see them, then the link to the full
preview. It stays under GitHub's comment limit by shortening the longest section bodies first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.module.diff import ModuleDiff, diff_modules
from pipeline.module.experiments import ExperimentChange, experiment_changes
from pipeline.review.impact import ImpactReport, ModuleImpact, arm_counts_text
from pipeline.review.sections import AssetUrl, close_fences, one_line, section_markdown

COMMENT_MARKER = "<!-- frames-review-comment -->"
IMPACT_LABEL = "learner-impact"
SECOND_REVIEW_LINE = "**Learner impact: this PR needs a second review before merging.**"
MAX_COMMENT_CHARS = 65_536  # GitHub refuses a longer comment body
_MARGIN = 536  # room for the shortening notes
_SHORTENED = "\n\n… *(shortened to fit GitHub's comment limit: the full section is in the preview)*"
_NOT_CONFIGURED = (
    "Learner impact is not configured: set the `DATABASE_READONLY_URL` secret (a read-only role on production, "
    "docs/operations.md) to see which students a change touches."
)


_FAILED = (
    "> [!CAUTION]\n> **Learner impact could not be read this time** (the `learner impact` job of this run failed: "
    "see its log). Do not merge until a run shows it."
)


@dataclass(frozen=True)
class ReviewedModule:
    """One module file of the PR: as on the base branch (None: new) and at the head (None: deleted)."""

    module_id: str
    base: Mapping[str, Any] | None
    head: Mapping[str, Any] | None

    @property
    def diff(self) -> ModuleDiff | None:
        return diff_modules(self.base, self.head) if self.head is not None else None


@dataclass(frozen=True)
class _Piece:
    """A fixed line of the comment (body None) or a section whose body may be shortened."""

    text: str
    body: str | None = None


def render_review_comment(
    modules: Sequence[ReviewedModule],
    impact: ImpactReport | None,
    *,
    asset_url: AssetUrl,
    preview_url: str | None,
    impact_failed: bool = False,
    limit: int = MAX_COMMENT_CHARS,
) -> str:
    """The whole comment; `impact` None means impact is not configured (or, with `impact_failed`, not read)."""
    pieces = [_Piece(f"{COMMENT_MARKER}\n## Module review")]
    if impact_failed:
        pieces += [_Piece("### Learner impact"), _Piece(_FAILED)]
    else:
        pieces += [_Piece(line) for line in _impact_block(modules, impact)]
    for module in modules:
        pieces += _module_pieces(module, asset_url)
    if preview_url:
        pieces.append(
            _Piece(
                f"**[Open the full preview]({preview_url})** "
                "(every module as students see it: a zip, open `index.html`)."
            )
        )
    else:
        pieces.append(_Piece("The full preview is the `module-preview` artifact of this PR's validate run."))
    pieces.append(_Piece("<sub>Updated on every push by the validate workflow; see docs/review.md.</sub>"))
    return _fit(pieces, limit)


def needs_second_review(impact: ImpactReport | None) -> bool | None:
    """True/False when impact is known; None when it is not configured."""
    return None if impact is None else impact.needs_second_review


def _impact_block(modules: Sequence[ReviewedModule], impact: ImpactReport | None) -> list[str]:
    if impact is None:
        return ["### Learner impact", _NOT_CONFIGURED]
    lines = ["### Learner impact"]
    if impact.needs_second_review:
        lines.insert(
            0,
            f"> [!WARNING]\n> {SECOND_REVIEW_LINE} It changes content that students already started or completed "
            f"(label `{IMPACT_LABEL}`).",
        )
    titles = _section_titles(modules)
    rows = [row for module in impact.modules for row in _impact_rows(module, titles)]
    if not rows:
        lines.append("No student has progress on anything this PR removes, changes or archives.")
        return lines
    table = ["| module | section | what happens | learners |", "| --- | --- | --- | --- |", *rows]
    return [*lines, "\n".join(table)]


def _impact_rows(module: ModuleImpact, titles: Mapping[tuple[str, str], str]) -> list[str]:
    name = f"`{module.module_id}`"
    rows = [
        f"| {name} | {_titled(titles, module.module_id, s.section_id)} | removed | "
        f"**{s.completed}** completed, **{s.started}** started: they lose this section |"
        for s in module.sections_removed
    ]
    rows += [
        f"| {name} | {_titled(titles, module.module_id, s.section_id)} | content changed | "
        f"**{s.completed}** completed it: it will show as changed since they completed it |"
        for s in module.sections_changed
    ]
    if module.in_progress or module.assignments or module.action == "archived":
        rows.append(
            f"| {name} | (whole module) | archived | **{module.in_progress}** in progress, "
            f"**{module.assignments}** open assignment(s): hidden from them, progress kept |"
        )
    if module.arms:
        rows.append(f"| {name} | (experiments) | learners in each arm | {arm_counts_text(module.arms)} |")
    return rows


def _titled(titles: Mapping[tuple[str, str], str], module_id: str, section_id: str) -> str:
    title = titles.get((module_id, section_id))
    return f"{title} (`{section_id}`)" if title else f"`{section_id}`"


def _section_titles(modules: Sequence[ReviewedModule]) -> dict[tuple[str, str], str]:
    titles: dict[tuple[str, str], str] = {}
    for module in modules:
        for document in (module.base, module.head):
            for section in (document or {}).get("sections") or []:
                if isinstance(section, Mapping):
                    key = (module.module_id, str(section.get("section_id")))
                    titles[key] = one_line(section.get("title")).replace("|", "\\|")
    return titles


def _module_pieces(module: ReviewedModule, asset_url: AssetUrl) -> list[_Piece]:
    document = module.head if module.head is not None else module.base or {}
    title = one_line(document.get("title", module.module_id))
    heading = f"### {title} (`{module.module_id}`)"
    diff = module.diff
    if diff is None:
        return [_Piece(heading), _Piece("**Module removed**: deploy archives it (students keep their progress).")]
    pieces = [_Piece(heading)]
    old_revision = ((module.base or {}).get("metadata") or {}).get("revision")
    new_revision = ((module.head or {}).get("metadata") or {}).get("revision")
    counts = ", ".join(
        f"{len(diff.sections(k))} {k}" for k in ("added", "changed", "removed", "moved") if diff.sections(k)
    )
    summary = "new module" if diff.is_new else counts or "no section changed"
    pieces.append(_Piece(f"Revision {old_revision or '—'} → {new_revision}: {summary}."))
    if diff.field_changes:
        pieces.append(_Piece("Fields changed: " + ", ".join(f"`{f.field}`" for f in diff.field_changes) + "."))
    pieces += [_Piece(_experiment_line(change)) for change in experiment_changes(module.base, module.head)]
    removed = diff.sections("removed")
    if removed:
        pieces.append(
            _Piece(
                "**Removed:** "
                + "; ".join(f"{one_line(s.title)} (`{s.section_id}`, was number {s.old_number})" for s in removed)
            )
        )
    document = module.head or {}  # not None here: a deleted module has no diff
    sections = {str(s.get("section_id")): s for s in document.get("sections") or [] if isinstance(s, Mapping)}
    for change in diff.section_changes:
        if change.kind not in ("added", "changed") or change.section_id not in sections:
            continue
        section = sections[change.section_id]
        what = "Added" if change.kind == "added" else "Changed (" + ", ".join(change.changed_fields) + ")"
        kind = one_line(section.get("section_type"))
        head = f"#### {what}: {change.new_number}. {one_line(section.get('title'))} (`{change.section_id}`, {kind})"
        pieces.append(_Piece(head, section_markdown(section, asset_url)))
    return pieces


def _experiment_line(change: ExperimentChange) -> str:
    """One line for the reviewer: the experiment this PR starts, changes (refused), stops or concludes."""
    name = f"`{change.experiment_id}`"
    if change.kind == "concluded":
        return (
            f"**Experiment {name} concluded**: it is removed and every learner sees the sections as this PR writes "
            "them; their progress stays (same section ids)."
        )
    experiment = change.experiment
    assert experiment is not None
    arms = ", ".join(f"{one_line(a.name)} {a.weight}%" for a in experiment.arms)
    tested = ", ".join(f"`{s}`" for s in experiment.section_ids)
    if change.refused:
        return (
            f"> [!CAUTION]\n> **Experiment {name} changes while running: validate refuses this.** Stop it, or start "
            "a new experiment with a new id."
        )
    verb = {"started": "starts", "declared": "is declared (draft)", "stopped": "stops", "changed": "changes"}
    measured = f"{experiment.metric_kind.replace('_', ' ')} of `{experiment.metric_section_id}`"
    return f"**Experiment {name} {verb[change.kind]}**: arms {arms} on {tested}; measured by {measured}."


def _fit(pieces: list[_Piece], limit: int) -> str:
    """Join the pieces; when too long, cut the longest bodies to one common length (water-filling)."""
    fixed = sum(len(p.text) + 2 for p in pieces) + sum(4 for p in pieces if p.body is not None)
    bodies = [p.body for p in pieces if p.body is not None]
    budget = limit - _MARGIN - fixed
    cap = _cap([len(b) for b in bodies], budget)
    parts: list[str] = []
    for piece in pieces:
        parts.append(piece.text)
        if piece.body is not None:
            parts.append(_shorten(piece.body, cap) if cap is not None else piece.body)
    text = "\n\n".join(part for part in parts if part) + "\n"
    if len(text) > limit:  # so many sections that even their headings do not fit
        text = text[: limit - 200].rsplit("\n", 1)[0] + "\n\n… *(too many sections to list: see the preview)*\n"
    return text


def _cap(lengths: list[int], budget: int) -> int | None:
    """The largest body length that makes them all fit in `budget` (None: no shortening needed)."""
    if sum(lengths) <= budget:
        return None
    remaining, count = max(budget, 0), len(lengths)
    for length in sorted(lengths):
        share = remaining // count
        if length > share:
            return share
        remaining -= length
        count -= 1
    return max(budget, 0)


def _shorten(body: str, cap: int) -> str:
    if len(body) <= cap:
        return body
    room = max(cap - len(_SHORTENED) - 8, 0)
    cut = body[:room]
    if "\n" in cut:
        cut = cut.rsplit("\n", 1)[0]
    return close_fences(cut) + _SHORTENED
