"""One module section as GitHub Markdown, for the review comment: text as text, images from the PR's head commit,
hotspots as a list, quiz answers marked. Everything from Notion goes through `neutralise` first."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pipeline.module.assets import ASSET_URL_PREFIX, is_local_asset
from pipeline.preview.markdown import preview_markdown
from pipeline.review.neutralise import neutralise

AssetUrl = Callable[[str], str]  # an `/assets/…` URL -> where GitHub can show it
# An `/assets/…` link or image destination inside Markdown: after "(", "<" or the space of a definition.
_ASSET_DESTINATION = re.compile(r"(?<=[(<\s])" + re.escape(ASSET_URL_PREFIX) + r"(?=\S)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# Section headings are h4 in the comment: a section's own `#` becomes `####`, never bigger than its section.
_HEADING_SHIFT = "###"


def one_line(value: Any) -> str:
    """A short field (title, label, choice) as inert text on one line."""
    return neutralise(" ".join(str(value if value is not None else "").split()))


def section_markdown(section: Mapping[str, Any], asset_url: AssetUrl) -> str:
    """The section's body as the student will see it, in GitHub Markdown."""
    kind = section.get("section_type")
    content = section.get("content")
    media = section.get("media_url")
    if kind == "text":
        return text_markdown(str(content or ""), asset_url)
    if kind == "interactive" and isinstance(content, Mapping):
        return _interactive(content, media, asset_url)
    if kind == "quiz" and isinstance(content, Mapping):
        return _quiz(content)
    lines = []
    if kind == "image" and isinstance(media, str):
        lines.append(_image(media, str(section.get("title") or ""), asset_url))
    elif kind == "video" and isinstance(media, str):
        lines.append(f"▶ Video: <{_media_url(media, asset_url)}>")
    if isinstance(content, str) and content.strip():
        lines += ["", text_markdown(content, asset_url)]
    return "\n".join(lines).strip()


def text_markdown(text: str, asset_url: AssetUrl) -> str:
    """Markdown content made inert, its images pointed at the head commit and its headings below the section's."""
    shifted = _shift_headings(text)
    rewritten = _ASSET_DESTINATION.sub(lambda m: asset_url(ASSET_URL_PREFIX).rstrip("/") + "/", shifted)
    return close_fences(neutralise(rewritten))


def _shift_headings(text: str) -> str:
    """Prefix every ATX heading (as the students' parser sees them: not inside code) with `###`."""
    lines = text.split("\n")
    for token in preview_markdown().parse(text):
        if token.type == "heading_open" and token.markup.startswith("#") and token.map:
            number = token.map[0]
            lines[number] = _HEADING_SHIFT + lines[number].lstrip(" ")
    return "\n".join(lines)


def close_fences(markdown: str) -> str:
    """`markdown` with a code fence left open (by the author, or by shortening) closed at its end."""
    opened: str | None = None
    for line in markdown.split("\n"):
        match = _FENCE.match(line)
        if not match:
            continue
        fence = match[1]
        if opened is None:
            opened = fence
        elif fence[0] == opened[0] and len(fence) >= len(opened) and not line.strip()[len(fence) :].strip():
            opened = None
    return markdown if opened is None else markdown.rstrip("\n") + "\n" + opened


def _media_url(url: str, asset_url: AssetUrl) -> str:
    return asset_url(url) if is_local_asset(url) else url


def _image(url: str, alt: str, asset_url: AssetUrl) -> str:
    alt = one_line(alt).replace("[", "(").replace("]", ")")
    target = _media_url(url, asset_url).replace(" ", "%20").replace(")", "%29")
    return f"![{alt}]({target})"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _interactive(content: Mapping[str, Any], media: Any, asset_url: AssetUrl) -> str:
    lines = []
    if content.get("instruction"):
        lines += [f"**Task:** {one_line(content['instruction'])}", ""]
    if isinstance(media, str):
        lines += [_image(media, "Hotspot image", asset_url), ""]
    hotspots = _list(content.get("hotspots"))
    lines.append(f"**Hotspots ({len(hotspots)}):**")
    for number, spot in enumerate(hotspots, 1):
        if not isinstance(spot, Mapping):
            lines.append(f"{number}. (not a hotspot: {one_line(spot)})")
            continue
        where = f"at x {one_line(spot.get('x'))}, y {one_line(spot.get('y'))}"
        text = f"{number}. **{one_line(spot.get('label'))}** ({where})"
        if spot.get("description"):
            text += f" — {one_line(spot['description'])}"
        lines.append(text)
    criteria = content.get("completion_criteria")
    if isinstance(criteria, Mapping):
        done = []
        if "hotspots_clicked" in criteria:
            done.append(f"{one_line(criteria['hotspots_clicked'])} of {len(hotspots)} hotspots clicked")
        if isinstance(criteria.get("required_hotspots"), list):
            done.append("required: " + ", ".join(f"`{one_line(h)}`" for h in criteria["required_hotspots"]))
        if done:
            lines += ["", f"**Complete when:** {'; '.join(done)}."]
    return "\n".join(lines)


def _quiz(content: Mapping[str, Any]) -> str:
    lines = []
    if content.get("instruction"):
        lines += [f"**Instructions:** {one_line(content['instruction'])}", ""]
    lines += [f"Pass mark: {one_line(content.get('pass_percent', 70))}% · ✅ marks the correct answer.", ""]
    questions = _list(content.get("questions"))
    for number, question in enumerate(questions, 1):
        if not isinstance(question, Mapping):
            lines.append(f"**Q{number}.** (not a question: {one_line(question)})")
            continue
        lines.append(f"**Q{number}. {one_line(question.get('prompt'))}**")
        correct = question.get("correct_choice")
        choices = _list(question.get("choices"))
        for index, choice in enumerate(choices):
            lines.append(f"- ✅ **{one_line(choice)}** (correct)" if index == correct else f"- {one_line(choice)}")
        if question.get("explanation"):
            lines += ["", f"_Why:_ {one_line(question['explanation'])}"]
        lines.append("")
    return "\n".join(lines).strip()
