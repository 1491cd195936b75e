"""The rules for one section's content beyond the schema: its Markdown, its media file, its hotspots inside the
image, its quiz."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.media.keys import is_media_url
from pipeline.module.assets import check_asset, image_size, is_local_asset
from pipeline.module.document import ModuleDocument
from pipeline.module.markdown_policy import MarkdownInspection, inspect_markdown
from pipeline.module.problems import Problem
from pipeline.validate.media import reference_problem, stored_media_problems

MARKDOWN_SECTION_TYPES = ("text", "video", "image")


class MarkdownCheck:
    """The Markdown policy for one document: parsed (recording /assets/ images), or, for trusted bytes, known."""

    def __init__(self, recorded: Mapping[str, Sequence[str]] | None = None) -> None:
        self.recorded = recorded
        # pointer -> /assets/ image sources: found by parsing, or carried over so deploy records them again
        self.images: dict[str, tuple[str, ...]] = {p: tuple(v) for p, v in (recorded or {}).items() if v}

    def inspect(self, pointer: str, text: str) -> MarkdownInspection:
        if self.recorded is not None:  # these bytes passed the policy before: no issues, the same images
            return MarkdownInspection((), tuple(self.recorded.get(pointer, ())))
        inspection = inspect_markdown(text)
        local = tuple(source for source in inspection.image_sources if is_local_asset(source))
        if local:
            self.images[pointer] = local
        return inspection


# Files added by hand under data/assets/: Git grows with every one (docs/media.md says how to store big ones).
ASSET_WARN_BYTES = 10 * 1024 * 1024
ASSET_MAX_BYTES = 50 * 1024 * 1024


def _media_problem(doc: ModuleDocument, pointer: str, url: str, assets_dir: Path) -> tuple[Problem | None, Path | None]:
    checked = check_asset(url, assets_dir)
    if checked.problem:
        return doc.problem(pointer, checked.problem), checked.path
    size = checked.path.stat().st_size if checked.path is not None else 0
    if size > ASSET_MAX_BYTES:
        message = (
            f"{url!r} is {size / 1e6:.0f} MB; a file in data/assets/ may be at most 50 MB (Git keeps every version "
            "for ever): upload it to Notion so export stores it in the media store, or run `python -m pipeline "
            "media migrate`"
        )
        return doc.problem(pointer, message), checked.path
    if size > ASSET_WARN_BYTES:
        message = f"{url!r} is {size / 1e6:.0f} MB; files over 10 MB belong in the media store (docs/media.md)"
        return doc.problem(pointer, message, "warning"), checked.path
    return None, checked.path


def section_problems(
    doc: ModuleDocument, base: str, section: dict[str, Any], assets_dir: Path, markdown: MarkdownCheck
) -> list[Problem]:
    problems: list[Problem] = []
    section_type = section["section_type"]
    content = section["content"]
    media_file: Path | None = None
    media_url = section.get("media_url")
    if isinstance(media_url, str) and is_local_asset(media_url):
        problem, media_file = _media_problem(doc, base + "/media_url", media_url, assets_dir)
        if problem:
            problems.append(problem)
    problems.extend(stored_media_problems(doc, base, section))
    if section_type in MARKDOWN_SECTION_TYPES and isinstance(content, str):
        inspection = markdown.inspect(base + "/content", content)
        for issue in inspection.issues:
            where = f" (Markdown line {issue.line})" if issue.line else ""
            problems.append(doc.problem(base + "/content", issue.message + where))
        for source in inspection.image_sources:
            if is_media_url(source):
                why = reference_problem(source, "image")
                if why:
                    problems.append(doc.problem(base + "/content", why))
            if is_local_asset(source):
                problem, _ = _media_problem(doc, base + "/content", source, assets_dir)
                if problem:
                    problems.append(problem)
    elif section_type == "interactive":
        problems.extend(_interactive_problems(doc, base, content, media_file))
    elif section_type == "quiz":
        problems.extend(_quiz_problems(doc, base, content))
    return problems


def _interactive_problems(doc: ModuleDocument, base: str, content: dict[str, Any], image: Path | None) -> list[Problem]:
    problems: list[Problem] = []
    hotspots = content["hotspots"]
    ids = [h["id"] for h in hotspots]
    size = image_size(image) if image else None
    for index, hotspot in enumerate(hotspots):
        pointer = f"{base}/content/hotspots/{index}"
        if ids.index(hotspot["id"]) != index:
            problems.append(doc.problem(pointer + "/id", f"hotspot id {hotspot['id']!r} is used twice in this section"))
        if size and (hotspot["x"] >= size[0] or hotspot["y"] >= size[1]):
            problems.append(
                doc.problem(
                    pointer,
                    f"hotspot {hotspot['id']!r} at ({hotspot['x']}, {hotspot['y']}) lies "
                    f"outside the {size[0]}×{size[1]} image; fix its x/y in pixels",
                )
            )
    criteria = content["completion_criteria"]
    clicked = criteria.get("hotspots_clicked")
    if clicked is not None and clicked > len(set(ids)):
        problems.append(
            doc.problem(
                f"{base}/content/completion_criteria/hotspots_clicked",
                f"asks for {clicked} hotspots but the section has only {len(set(ids))}; "
                "the section could never be completed",
            )
        )
    for index, required in enumerate(criteria.get("required_hotspots", [])):
        if required not in ids:
            problems.append(
                doc.problem(
                    f"{base}/content/completion_criteria/required_hotspots/{index}",
                    f"required hotspot {required!r} does not exist; use one of: {', '.join(ids)}",
                )
            )
    return problems


def _quiz_problems(doc: ModuleDocument, base: str, content: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, question in enumerate(content["questions"]):
        pointer = f"{base}/content/questions/{index}"
        if question["question_id"] in seen:
            problems.append(
                doc.problem(
                    pointer + "/question_id", f"question_id {question['question_id']!r} is used twice in this quiz"
                )
            )
        seen.add(question["question_id"])
        if question["correct_choice"] >= len(question["choices"]):
            problems.append(
                doc.problem(
                    pointer + "/correct_choice",
                    f"correct_choice is {question['correct_choice']} but there are only "
                    f"{len(question['choices'])} choices (counting from 0)",
                )
            )
    if content.get("reveal_answers") and "max_attempts" not in content:
        problems.append(
            doc.problem(
                f"{base}/content/reveal_answers",
                "reveal_answers shows the correct choice after a wrong answer, and without max_attempts a student "
                "can then pass by copying it; set max_attempts, or keep it so for a practice quiz",
                "warning",
            )
        )
    return problems
