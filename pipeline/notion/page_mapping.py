"""A Module Library page (properties + block tree) to a module document, following docs/notion-template.md.

The body: a "Learning Objectives" heading (any level) holds the objectives as list items; each heading_2 starts a
section. A section's first lines may say `Type: quiz`, `ID: some-id` and `Duration: 5 min`; interactive and quiz
sections take their content from a JSON or YAML code block; video, image and interactive sections take their first
image or video as `media_url`. The result has no `metadata`: the exporter adds revision and export times, then
validates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from pipeline.errors import PipelineError
from pipeline.module.document import is_valid_id
from pipeline.module.markdown_policy import link_scheme
from pipeline.module.places import describe_place
from pipeline.module.problems import Severity
from pipeline.module.schema import SECTION_TYPES, load_schema
from pipeline.notion.blocks import LIST_TYPES, ResolveFile, blocks_to_markdown, media_source, notion_file_url
from pipeline.notion.ids import normalise_page_id
from pipeline.notion.issues import ConversionIssue, block_words
from pipeline.notion.properties import module_fields
from pipeline.notion.rich_text import rich_text_to_plain
from pipeline.notion.settings_help import apply_hotspot_percentages, apply_quiz_answers, yaml_boolean_problems
from pipeline.notion.variants import SectionVariant, page_experiment, take_variants
from pipeline.validate.schema_messages import describe_error

HEADINGS = frozenset({"heading_1", "heading_2", "heading_3", "heading_4"})
CONFIG_LANGUAGES = {"json": "JSON", "yaml": "YAML"}
_SECTION_PREFIX = re.compile(r"^\s*section\s+\d+\s*[:.\-–—]\s*", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^\s*(type|id|duration)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^(\d{1,5})\s*(s|sec|secs|seconds?|m|min|mins|minutes?)?\.?$", re.IGNORECASE)
_OBJECTIVES = re.compile(r"^\s*learning\s+objectives\s*:?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class PageConversion:
    """The module a page gives (None when it has problems), what stops it (`problems`) and `warnings`.

    `draft` is whatever did convert, problems or not: export validates it too, so that a team lead hears about
    every problem in one round (the parts `problems` already cover are not reported twice).
    """

    module: dict[str, Any] | None
    problems: tuple[ConversionIssue, ...]
    warnings: tuple[ConversionIssue, ...]
    draft: dict[str, Any] | None = None


@lru_cache(maxsize=2)
def _content_validator(kind: str) -> Draft202012Validator:
    definitions = load_schema()["$defs"]
    return Draft202012Validator({"$defs": definitions, "$ref": f"#/$defs/{kind}_content"})


def _config_problems(kind: str, content: dict[str, Any]) -> list[tuple[str, str]]:
    """What the module schema says about an interactive/quiz config, as (pointer inside it, message)."""
    errors = sorted(_content_validator(kind).iter_errors(content), key=lambda e: list(map(str, e.absolute_path)))
    return [found for error in errors for found in describe_error(error, content)]


def _natural(pointer: str) -> list[tuple[int, str]]:
    """Sort key: question 2 before question 10."""
    return [(int(t), "") if t.isdigit() else (-1, t) for t in pointer.split("/")]


def section_id_for(block_id: str) -> str:
    """The default section_id: stable across retitling and reordering because Notion block ids never change."""
    return "s-" + normalise_page_id(block_id)[:12]


def _text(block: dict[str, Any]) -> str:
    return rich_text_to_plain((block.get(block.get("type", "")) or {}).get("rich_text")).strip()


def _children(block: dict[str, Any]) -> list[dict[str, Any]]:
    return list(block.get("children") or [])


@dataclass
class _Directives:
    """What a section's first lines (`Type:`, `ID:`, `Duration:`) say."""

    kind: str = "text"
    section_id: str | None = None
    duration_seconds: int | None = None

    def read(self, key: str, value: str) -> str | None:
        """Take one line; return what is wrong with it, if anything."""
        if key == "type":
            if value.lower() not in SECTION_TYPES:
                return f"'Type: {value}' is not a section type; use one of {', '.join(SECTION_TYPES)}"
            self.kind = value.lower()
        elif key == "id":
            if not is_valid_id(value):
                return f"'ID: {value}' must be lowercase words joined by hyphens, e.g. ID: find-the-tools"
            self.section_id = value
        else:
            match = _DURATION.match(value)
            unit = 1 if match and (match.group(2) or "m")[0].lower() == "s" else 60  # a bare number means minutes
            seconds = int(match.group(1)) * unit if match else None
            if seconds is None or seconds > 36000:
                return f"'Duration: {value}' must be minutes or seconds up to 10 hours, e.g. Duration: 5 min"
            self.duration_seconds = seconds
        return None


@dataclass
class _Section:
    heading: dict[str, Any]
    title: str
    blocks: list[dict[str, Any]]


ImageSize = Callable[[str], "tuple[int, int] | None"]


def _unknown_size(url: str) -> tuple[int, int] | None:
    return None


class _PageReader:
    def __init__(self, page: Mapping[str, Any], resolve_file: ResolveFile, image_size: ImageSize) -> None:
        self.page_id = str(page.get("id", ""))
        self.resolve_file = resolve_file
        self.image_size = image_size
        self.problems: list[ConversionIssue] = []
        self.warnings: list[ConversionIssue] = []
        self.section_number: int | None = None  # the section being read, counting from 1
        self.heading: dict[str, Any] | None = None  # its heading (named by the section, not by its words)
        self.variants: list[SectionVariant] = []  # the sections' "Variant:" toggles, converted

    def issue(
        self, where: str, block: dict[str, Any] | None, message: str, severity: Severity = "error", *, field: str = ""
    ) -> None:
        """Record an issue; `field` is the module field it is about (a section field inside a section)."""
        number = self.section_number
        pointer = (f"/sections/{number - 1}" if number else "") + (f"/{field}" if field else "")
        found = ConversionIssue(
            self.page_id,
            block.get("id") if block else None,
            where,
            message,
            severity,
            section_number=number,
            pointer=pointer,
            block_words=block_words(block) if block is not None and block is not self.heading else "",
        )
        (self.problems if severity == "error" else self.warnings).append(found)

    def take(self, issues: tuple[ConversionIssue, ...] | list[ConversionIssue]) -> None:
        for found in issues:
            (self.problems if found.severity == "error" else self.warnings).append(found)

    # --- body structure ---
    def split(self, blocks: list[dict[str, Any]]) -> tuple[list[str], list[_Section]]:
        objectives: list[str] = []
        sections: list[_Section] = []
        current: list[dict[str, Any]] | None = None  # blocks of the open section, None before the first
        in_objectives = False
        ignored: list[dict[str, Any]] = []
        for block in blocks:
            kind = block.get("type")
            if kind in HEADINGS and _OBJECTIVES.match(_text(block)):
                in_objectives, current = True, None
                objectives += self.objectives(_children(block))
                continue
            if kind == "heading_2":
                in_objectives = False
                title = _SECTION_PREFIX.sub("", _text(block)).strip()
                section = _Section(block, title, _children(block))  # a toggle heading's content is inside it
                sections.append(section)
                current = section.blocks
                continue
            if in_objectives and (kind in LIST_TYPES or (kind == "paragraph" and not _text(block))):
                objectives += self.objectives([block])
            elif current is not None and not (in_objectives and kind in HEADINGS):
                current.append(block)
            else:
                in_objectives = False
                if not (kind == "paragraph" and not _text(block)) and kind not in ("table_of_contents", "breadcrumb"):
                    ignored.append(block)
        if ignored:
            self.issue(
                "",
                ignored[0],
                f"{len(ignored)} block(s) outside any section (before the first heading 2, or after Learning "
                "Objectives) were left out; move them under a heading 2 (a section) if students should see them",
                "warning",
            )
        return objectives, sections

    def objectives(self, blocks: list[dict[str, Any]]) -> list[str]:
        found = []
        for block in blocks:
            if block.get("type") in LIST_TYPES and _text(block):
                found.append(" ".join(_text(block).split()))
            elif block.get("type") == "paragraph" and not _text(block):
                continue
            else:
                self.issue(
                    "Learning Objectives",
                    block,
                    "only list items count as objectives; this was left out",
                    "warning",
                    field="learning_objectives",
                )
        return found

    # --- one section ---
    def section(self, number: int, section: _Section) -> dict[str, Any] | None:
        """The section as written, and each "Variant:" toggle in it converted like a section of its own."""
        blocks, toggles = take_variants(section.blocks)
        converted = self._section(number, _Section(section.heading, section.title, blocks))
        for toggle in toggles:
            arm = self._section(number, _Section(section.heading, section.title, toggle.children))
            if converted is not None and arm is not None:
                arm["section_id"] = converted["section_id"]  # progress never depends on the arm
                self.variants.append(SectionVariant(converted["section_id"], converted["title"], toggle, arm))
        return converted

    def _section(self, number: int, section: _Section) -> dict[str, Any] | None:
        where = section.title or f"section {number}"
        self.section_number, self.heading = number, section.heading
        if not section.title:
            self.issue(where, section.heading, "the section heading is empty; give the section a title", field="title")
        directives, blocks = self.directives(where, section.blocks)
        kind = directives.kind
        section_id = directives.section_id or section_id_for(str(section.heading.get("id", "")))
        media_url: str | None = None
        if kind in ("video", "image", "interactive") or (kind == "quiz" and self.first_media(blocks, ("image",))):
            wanted = ("video",) if kind == "video" else ("image",)
            media = self.first_media(blocks, wanted)
            if media is None:
                if kind != "quiz":
                    message = f"a {kind} section needs a {wanted[0]} block; add one"
                    self.issue(where, section.heading, message, field="media_url")
            else:
                blocks = [b for b in blocks if b is not media]
                media_url = self.media_url(where, media)
        if kind in ("interactive", "quiz"):
            size = self.image_size(media_url) if media_url and kind == "interactive" else None
            content: Any = self.config(where, section.heading, kind, blocks, size)
        else:
            conversion = blocks_to_markdown(
                blocks,
                page_id=self.page_id,
                resolve_file=self.resolve_file,
                where=where,
                section_number=number,
                pointer=f"/sections/{number - 1}/content",
            )
            self.take(conversion.errors + conversion.warnings)
            content = conversion.markdown
            if kind == "text" and not content:
                message = "the section has no content; write some or delete the heading"
                self.issue(where, section.heading, message, field="content")
        return {
            "section_id": section_id,
            "section_number": number,
            "section_type": kind,
            "title": section.title or where,
            "content": content,
            "media_url": media_url,
            "duration_seconds": directives.duration_seconds,
        }

    def directives(self, where: str, blocks: list[dict[str, Any]]) -> tuple[_Directives, list[dict[str, Any]]]:
        found = _Directives()
        rest = list(blocks)
        while rest and rest[0].get("type") == "paragraph":
            lines = [line for line in _text(rest[0]).split("\n") if line.strip()]
            matches = [_DIRECTIVE.match(line) for line in lines]
            if not lines or not all(matches):
                break
            block = rest.pop(0)
            for match in matches:
                assert match is not None
                problem = found.read(match.group(1).lower(), match.group(2))
                if problem:
                    self.issue(where, block, problem)
        return found, rest

    def first_media(self, blocks: list[dict[str, Any]], kinds: tuple[str, ...]) -> dict[str, Any] | None:
        return next((b for b in blocks if b.get("type") in kinds), None)

    def media_url(self, where: str, block: dict[str, Any]) -> str | None:
        try:
            url = media_source(block, self.resolve_file)
        except PipelineError as exc:
            self.issue(where, block, f"the {block.get('type')} could not be fetched: {exc}", field="media_url")
            return None
        if not url.startswith("/assets/") and link_scheme(url) != "https":
            self.issue(
                where,
                block,
                f"the {block.get('type')} address {url[:80]!r} must start with https:// (or upload the file to Notion)",
                field="media_url",
            )
            return None
        return url

    def config(
        self,
        where: str,
        heading: dict[str, Any],
        kind: str,
        blocks: list[dict[str, Any]],
        image_size: tuple[int, int] | None = None,
    ) -> Any:
        code = next(
            (
                b
                for b in blocks
                if b.get("type") == "code" and (b.get("code") or {}).get("language") in CONFIG_LANGUAGES
            ),
            None,
        )
        if code is None:
            self.issue(
                where,
                heading,
                f"a {kind} section needs a code block (language JSON or YAML) with its "
                "settings; see the example in the Notion template guide",
                field="content",
            )
            return {}
        language = CONFIG_LANGUAGES[str((code.get("code") or {}).get("language"))]  # one of them: found above
        content = self.parse_settings(where, code, language)
        if content is None:
            return {}
        others = [b for b in blocks if b is not code and not (b.get("type") == "paragraph" and not _text(b))]
        words = " ".join(_text(b) for b in others if b.get("type") == "paragraph" and _text(b))
        if "instruction" not in content and words:
            content = {"instruction": words, **content}  # the text around the settings tells students what to do
        elif others:
            self.issue(
                where,
                others[0],
                f"a {kind} section shows only its settings and media; the other {len(others)} block(s) were left out",
                "warning",
                field="content",
            )
        found = yaml_boolean_problems(content) if language == "YAML" else []
        if kind == "quiz":
            found += apply_quiz_answers(content)
        else:
            found += apply_hotspot_percentages(content, image_size)
        if not found:
            found = _config_problems(kind, content)
        for pointer, message in sorted(found, key=lambda item: _natural(item[0])):
            place = describe_place({"sections": [{"content": content}]}, "/sections/0/content" + pointer).detail
            self.issue(
                where,
                code,
                f"the {language} settings{', ' + place if place else ''}: {message}; fix the code block",
                field="content",
            )
        return content

    def parse_settings(self, where: str, code: dict[str, Any], language: str) -> dict[str, Any] | None:
        """The code block's settings as an object, or None (and the reason recorded) when they are not one."""
        source = rich_text_to_plain((code.get("code") or {}).get("rich_text"))
        problem = None
        try:
            content = json.loads(source) if language == "JSON" else yaml.safe_load(source)
            json.dumps(content, allow_nan=False)  # YAML can hold dates and other values a module file cannot
        except json.JSONDecodeError as exc:
            problem = f"the JSON settings are not valid JSON at line {exc.lineno}: {exc.msg}; fix it"
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            problem = f"the YAML settings are not valid YAML{line}: {reason}; fix it"
        except (TypeError, ValueError) as exc:
            problem = f"the {language} settings hold a value a module cannot store ({exc}); put it in quotes"
        else:
            if isinstance(content, dict):
                return content
            problem = f"the {language} settings must be an object with named fields, not a list or text"
        self.issue(where, code, problem, field="content")
        return None


def page_to_module(
    page: Mapping[str, Any],
    blocks: list[dict[str, Any]],
    *,
    prerequisite_ids: Mapping[str, str],
    resolve_file: ResolveFile = notion_file_url,
    image_size: ImageSize = _unknown_size,
) -> PageConversion:
    """Map a Module Library page and its block tree to a module document (without `metadata`); `image_size`
    gives a resolved picture's (width, height), to place hotspots given in percent."""
    reader = _PageReader(page, resolve_file, image_size)
    fields, property_issues = module_fields(page, prerequisite_ids)
    reader.take(property_issues)
    objectives, sections = reader.split(blocks)
    if not objectives:
        reader.issue(
            "Learning Objectives",
            None,
            "no learning objectives found; add a heading 'Learning Objectives' "
            "followed by a bulleted list, one objective per item",
            field="learning_objectives",
        )
    if not sections:
        reader.issue("", None, "the page has no sections; start each section with a heading 2", field="sections")
    converted = [reader.section(number, section) for number, section in enumerate(sections, start=1)]
    seen: dict[str, str] = {}
    for section, source in zip(converted, sections, strict=True):
        if section is None:
            continue
        if section["section_id"] in seen:
            reader.section_number, reader.heading = section["section_number"], source.heading
            reader.issue(
                section["title"],
                source.heading,
                f"the section id {section['section_id']!r} is also used by "
                f"{seen[section['section_id']]!r}; give one of them another 'ID:' line",
                field="section_id",
            )
        seen.setdefault(section["section_id"], section["title"])
    module = {**fields, "learning_objectives": objectives, "sections": [s for s in converted if s is not None]}
    experiment, experiment_issues = page_experiment(page, module["sections"], reader.variants)
    reader.take(experiment_issues)
    if experiment is not None:
        module["experiments"] = [experiment]
    if reader.problems:
        return PageConversion(None, tuple(reader.problems), tuple(reader.warnings), draft=module)
    return PageConversion(module, (), tuple(reader.warnings), draft=module)
