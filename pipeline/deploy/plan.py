"""Planning a deploy, purely: module documents + what the database holds -> DeployPlan (and its rendering)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.module.canonical import content_hash
from pipeline.report import markdown_cell

PlanAction = Literal["added", "updated", "unchanged", "archived", "refused"]

# Top-level document keys stored as columns of `modules` (sections and metadata go elsewhere).
MODULE_COLUMNS = (
    "title",
    "description",
    "category",
    "estimated_minutes",
    "created_by_id",
    "owner_id",
    "university_id",
    "cohort",
    "status",
    "prerequisites",
    "tags",
    "target_audience",
    "notion_page_id",
    "content_source",
    "authoring_method",
    "learning_objectives",
)
JSON_MODULE_COLUMNS = frozenset({"prerequisites", "tags", "learning_objectives"})
SECTION_COLUMNS = ("section_number", "section_type", "title", "content", "media_url", "duration_seconds")
LISTED_UNCHANGED = 20  # beyond this many, unchanged modules are counted, not listed
# The job summary lists at most this many changed modules (GitHub caps a step summary at 1 MiB; ~100 bytes a
# row): the rest are counted, and the full plan goes to --plan-file (deploy.yml uploads it as an artifact).
LISTED_IN_SUMMARY = 200
SUMMARY_MAX_CHARS = 100_000  # and the summary is cut here whatever its rows hold
# The mass-archive guard counts what was archived in this window too: two deploys of just under half each
# are one mass archive (docs/deploy.md).
MASS_ARCHIVE_WINDOW_HOURS = 24


@dataclass(frozen=True)
class CurrentModule:
    """What the database holds for one module, as deploy needs it."""

    module_id: str
    revision: int
    content_hash: str
    archived: bool
    drift: tuple[str, ...] = ()  # what differs from the last deployed revision; empty = no drift
    archived_recently: bool = False  # archived within MASS_ARCHIVE_WINDOW_HOURS


@dataclass(frozen=True)
class ModuleChange:
    """One line of the plan: what happens to one module."""

    module_id: str
    action: PlanAction
    old_revision: int | None
    new_revision: int | None
    note: str = ""
    archive: bool = False  # the module ends archived (gone or retired)


@dataclass(frozen=True)
class DeployPlan:
    """Everything a deploy will do, decided before anything is written."""

    changes: tuple[ModuleChange, ...]
    live_before: int
    refusal: str | None = None  # set when the whole deploy is refused (mass archive)
    counts: dict[str, int] = field(default_factory=dict)

    def of(self, *actions: str) -> list[ModuleChange]:
        return [c for c in self.changes if c.action in actions]

    @property
    def writes(self) -> list[ModuleChange]:
        """Modules whose content rows are written (a new revision each)."""
        return self.of("added", "updated")

    def summary(self) -> str:
        parts = [f"{self.counts.get(a, 0)} {a}" for a in ("added", "updated", "unchanged", "archived")]
        if self.counts.get("refused"):
            parts.append(f"{self.counts['refused']} refused")
        return ", ".join(parts)

    def render_text(self, dry_run: bool = False) -> str:
        """The plan for a terminal: one line per module that changes, unchanged ones counted."""
        lines = [f"deploy plan{' (dry run: nothing written)' if dry_run else ''}: {self.summary()}"]
        for change in self._listed():
            note = f"  ({change.note})" if change.note else ""
            lines.append(f"  {change.action:<9} {change.module_id:<40} {_revisions(change)}{note}")
        hidden = self.counts.get("unchanged", 0) - len(self._listed_unchanged())
        if hidden > 0:
            lines.append(f"  … and {hidden} more unchanged")
        if self.refusal:
            lines.append(f"refused: {self.refusal}")
        return "\n".join(lines)

    def render_full(self, dry_run: bool = False) -> str:
        """Every module's line, unchanged ones included (the --plan-file a large summary points to)."""
        lines = [self.render_text(dry_run).split("\n", 1)[0]]
        order = {"refused": 0, "added": 1, "updated": 2, "archived": 3, "unchanged": 4}
        for change in sorted(self.changes, key=lambda c: (order[c.action], c.module_id)):
            note = f"  ({change.note})" if change.note else ""
            lines.append(f"  {change.action:<9} {change.module_id:<40} {_revisions(change)}{note}")
        if self.refusal:
            lines.append(f"refused: {self.refusal}")
        return "\n".join(lines) + "\n"

    def render_markdown(self, dry_run: bool = False, source_commit: str | None = None) -> str:
        """The plan for $GITHUB_STEP_SUMMARY: at most LISTED_IN_SUMMARY rows and SUMMARY_MAX_CHARS characters."""
        title = "Deploy plan (dry run)" if dry_run else "Deploy"
        commit = f" of `{source_commit[:12]}`" if source_commit else ""
        lines = [f"### {title}{commit}", "", f"**{self.summary()}**", ""]
        if self.refusal:
            lines += [f"**Refused:** {markdown_cell(self.refusal, 2000)}", ""]
        listed = self._listed()
        shown = listed[:LISTED_IN_SUMMARY]
        if shown:
            lines += ["| action | module | revision | note |", "| --- | --- | --- | --- |"]
            lines += [
                f"| {c.action} | `{c.module_id}` | {_revisions(c)} | {markdown_cell(c.note, 300)} |" for c in shown
            ]
        more_changes = len(listed) - len(shown)
        hidden = self.counts.get("unchanged", 0) - len(self._listed_unchanged())
        tail = []
        if more_changes > 0:
            tail.append(f"{more_changes} more module(s) listed in the full plan (the `deploy-plan` artifact)")
        if hidden > 0:
            tail.append(f"{hidden} more unchanged")
        if tail:
            lines += ["", f"… and {'; '.join(tail)}."]
        text = "\n".join(lines) + "\n"
        if len(text) > SUMMARY_MAX_CHARS:
            cut = text.rfind("\n", 0, SUMMARY_MAX_CHARS)
            text = text[:cut] + "\n\n… summary cut short: the full plan is in the `deploy-plan` artifact.\n"
        return text

    def _listed_unchanged(self) -> list[ModuleChange]:
        return self.of("unchanged")[:LISTED_UNCHANGED]

    def _listed(self) -> list[ModuleChange]:
        order = {"refused": 0, "added": 1, "updated": 2, "archived": 3}
        changed = sorted(
            (c for c in self.changes if c.action != "unchanged"), key=lambda c: (order[c.action], c.module_id)
        )
        return changed + self._listed_unchanged()


def _revisions(change: ModuleChange) -> str:
    old = f"r{change.old_revision}" if change.old_revision else "—"
    if change.action in ("unchanged", "archived", "refused"):
        return old
    return f"{old} → r{change.new_revision}"


def plan_deploy(
    documents: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, CurrentModule],
    *,
    archive_missing: bool,
    allow_mass_archive: bool = False,
    force: bool = False,
    hashes: Mapping[str, str] | None = None,
) -> DeployPlan:
    """Decide, for every module in the files and in the database, what deploy does to it."""
    changes: list[ModuleChange] = []
    for module_id in sorted(documents):
        data = documents[module_id]
        new_hash = hashes[module_id] if hashes is not None else content_hash(data)
        retire = data.get("status") == "retired"
        now = current.get(module_id)
        if now is None:
            changes.append(ModuleChange(module_id, "added", None, 1, "retired: archived" if retire else "", retire))
        elif now.drift and not force:
            changes.append(ModuleChange(module_id, "refused", now.revision, None, _drift_note(now), now.archived))
        elif now.drift or now.content_hash != new_hash or now.archived != retire:
            note = _update_note(now, new_hash, retire)
            changes.append(ModuleChange(module_id, "updated", now.revision, now.revision + 1, note, retire))
        else:
            changes.append(ModuleChange(module_id, "unchanged", now.revision, now.revision, "", now.archived))
    if archive_missing:
        for module_id in sorted(set(current) - set(documents)):
            now = current[module_id]
            if not now.archived:
                changes.append(
                    ModuleChange(
                        module_id,
                        "archived",
                        now.revision,
                        now.revision,
                        "file gone: hidden from students, progress kept",
                        True,
                    )
                )
    live_before = sum(1 for m in current.values() if not m.archived)
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.action] = counts.get(change.action, 0) + 1
    archiving = [c for c in changes if c.archive and c.old_revision is not None and not current[c.module_id].archived]
    return DeployPlan(
        tuple(changes), live_before, None if allow_mass_archive else _mass_archive(archiving, current), counts
    )


def _mass_archive(archiving: Sequence[ModuleChange], current: Mapping[str, CurrentModule]) -> str | None:
    """Why this deploy is a mass archive, or None: with what the window already archived, more than half of the
    modules live at its start (live now + archived in it) would be gone. Two deploys of just under half each
    are caught by the second."""
    if not archiving:
        return None
    live = sum(1 for m in current.values() if not m.archived)
    recent = sum(1 for m in current.values() if m.archived and m.archived_recently)
    if (len(archiving) + recent) * 2 <= live + recent:
        return None
    earlier = (
        f"; with the {recent} archived in the last {MASS_ARCHIVE_WINDOW_HOURS} hours that is "
        f"{len(archiving) + recent} of the {live + recent} modules live then"
        if recent
        else ""
    )
    return (
        f"this deploy would archive {len(archiving)} of the {live} live modules{earlier} (more than half); "
        "if that is intended (e.g. a catalogue clean-up), run again with --allow-mass-archive, otherwise "
        "check that PATH points at the whole data/modules folder"
    )


def _drift_note(now: CurrentModule) -> str:
    return (
        f"changed outside the pipeline since r{now.revision}: {'; '.join(now.drift)}. "
        "Nothing was written for this module. Put the change in its file and deploy, or run deploy "
        "--force to overwrite the database with the file"
    )


def _update_note(now: CurrentModule, new_hash: str, retire: bool) -> str:
    if now.drift:
        return "forced over a database edited by hand"
    if now.archived and not retire:
        return "file back: unarchived"
    if retire and not now.archived:
        return "retired: archived, progress kept"
    return ""


def module_row(data: Mapping[str, Any]) -> dict[str, Any]:
    """The `modules` columns a document sets (absent optional keys become NULL)."""
    return {column: data.get(column) for column in MODULE_COLUMNS}


def section_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The `module_sections` rows of a document, keyed by section_id, each with its `content_hash`."""
    return [
        {
            "section_id": s["section_id"],
            **{c: s.get(c) for c in SECTION_COLUMNS},
            "content_hash": section_content_hash(s),
        }
        for s in data["sections"]
    ]


def section_content_hash(section: Mapping[str, Any]) -> str:
    """sha256 of what a student reads in a section: its type, content and media, not its title or place.

    A retitle or a reorder leaves it alone; an edit of the text, a question or the video changes it, and the
    runtime API then flags the section `changed_since_completion` for students who had completed it.
    """
    what = [section.get("section_type"), section.get("content"), section.get("media_url")]
    text = json.dumps(what, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_drift(
    expected: Mapping[str, Any], module: Mapping[str, Any], sections: Sequence[Mapping[str, Any]]
) -> tuple[str, ...]:
    """What the database rows hold that the deployed document does not (column and section names)."""
    found: list[str] = []
    wanted = module_row(expected)
    found += [
        f"modules.{c} is {_short(module.get(c))}, the deployed revision has {_short(wanted[c])}"
        for c in MODULE_COLUMNS
        if module.get(c) != wanted[c]
    ]
    want_sections = {row["section_id"]: row for row in section_rows(expected)}
    have_sections = {row["section_id"]: row for row in sections}
    for section_id in sorted(set(want_sections) | set(have_sections)):
        want, have = want_sections.get(section_id), have_sections.get(section_id)
        if have is None:
            found.append(f"section {section_id!r} was deleted")
        elif want is None:
            found.append(f"section {section_id!r} was added")
        else:
            columns = [c for c in SECTION_COLUMNS if want[c] != have.get(c)]
            if columns:
                found.append(f"section {section_id!r} {', '.join(columns)} changed")
    return tuple(found) or ("the rows no longer match the deployed revision",)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
