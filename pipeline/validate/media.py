"""The rules for stored media (`/media/sha256/…` references): well formed, of the section's kind, agreeing with
the module's own reference; and, across files, that every one resolves (validate_paths asks the store or CDN)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pipeline.media.keys import content_type_of_key, digest_of_key, key_of_media_url
from pipeline.media.lookup import MediaLookup
from pipeline.media.references import module_media_urls
from pipeline.module.document import ModuleDocument
from pipeline.module.problems import Problem

_KIND_OF_SECTION = {"image": "image", "interactive": "image", "quiz": "image", "video": "video"}


def reference_problem(url: str, kind: str | None) -> str | None:
    """Why a `/media/…` URL cannot be used where a `kind` ("image", "video") is wanted, or None."""
    key = key_of_media_url(url)
    if key is None:
        return f"{url[:120]!r} is not a stored media reference; it reads /media/sha256/<aa>/<bb>/<64 hex digits>.<ext>"
    content_type = content_type_of_key(key)
    if kind and not content_type.startswith(kind + "/"):
        return f"{url[:120]!r} is a {content_type} file, but this needs a {kind}"
    return None


def stored_media_problems(doc: ModuleDocument, base: str, section: dict[str, Any]) -> list[Problem]:
    """A section's `/media/…` media_url and its `media` reference, checked against each other."""
    url = section.get("media_url")
    reference = section.get("media")
    problems: list[Problem] = []
    if isinstance(url, str) and url.startswith("/media/"):
        why = reference_problem(url, _KIND_OF_SECTION.get(str(section.get("section_type"))))
        if why:
            problems.append(doc.problem(base + "/media_url", why))
    if isinstance(reference, dict):
        key = key_of_media_url(url) if isinstance(url, str) else None
        if key is None:
            problems.append(doc.problem(base + "/media", "a media reference needs a /media/… media_url; remove it"))
        elif reference.get("sha256") != digest_of_key(key) or reference.get("type") != content_type_of_key(key):
            problems.append(
                doc.problem(
                    base + "/media",
                    "the media reference's sha256 and type do not match the media_url; export the page again",
                )
            )
    return problems


def unresolved_media_problems(
    documents: Sequence[ModuleDocument], open_lookup: Callable[[], MediaLookup | None]
) -> list[Problem]:
    """Every well-formed `/media/…` reference that the store (or CDN) does not hold with its type
    (`open_lookup` is called only when some document has one)."""
    where: dict[str, list[tuple[ModuleDocument, str]]] = {}
    for doc in documents:
        if not isinstance(doc.data, dict):
            continue
        for index, section in enumerate(doc.data.get("sections") or []):
            if not isinstance(section, dict):
                continue
            for url in module_media_urls({"sections": [section]}):
                key = key_of_media_url(url)
                if key:
                    field = "media_url" if section.get("media_url") == url else "content"
                    where.setdefault(key, []).append((doc, f"/sections/{index}/{field}"))
    if not where:
        return []
    lookup = open_lookup()
    if lookup is None:
        first_doc, pointer = next(iter(where.values()))[0]
        return [
            first_doc.problem(
                pointer,
                "stored media cannot be checked here: MEDIA_BUCKET is set without credentials or MEDIA_BASE_URL; "
                "set MEDIA_BASE_URL (the public CDN) so that validation reads through it",
                "warning",
            )
        ]
    problems = []
    for key, why in lookup.problems(where).items():
        for doc, pointer in where[key]:
            problems.append(doc.problem(pointer, f"/media/{key} {why}; export the page again or restore the object"))
    return problems
