"""The media a module refers to: section media and Markdown images, as `/media/…` keys or `/assets/…` files."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.media.keys import is_media_url, key_of_media_url
from pipeline.module.assets import is_local_asset
from pipeline.module.markdown_policy import inspect_markdown


@dataclass(frozen=True)
class MediaReferences:
    """Every stored original (`keys`) and every repository file (`asset_urls`) some modules use."""

    keys: frozenset[str]
    asset_urls: frozenset[str]


def module_media_urls(module: Mapping[str, Any]) -> list[str]:
    """The `/media/…` and `/assets/…` URLs of one module, in order, once each."""
    urls: list[str] = []
    for section in module.get("sections") or []:
        if not isinstance(section, Mapping):
            continue
        url = section.get("media_url")
        if isinstance(url, str) and (is_media_url(url) or is_local_asset(url)):
            urls.append(url)
        content = section.get("content")
        if isinstance(content, str):
            urls.extend(u for u in inspect_markdown(content).image_sources if is_media_url(u) or is_local_asset(u))
    return list(dict.fromkeys(urls))


def collect_references(modules: Iterable[Mapping[str, Any]]) -> MediaReferences:
    keys: set[str] = set()
    assets: set[str] = set()
    for module in modules:
        for url in module_media_urls(module):
            key = key_of_media_url(url)
            if key is not None:
                keys.add(key)
            elif is_local_asset(url):
                assets.add(url)
    return MediaReferences(frozenset(keys), frozenset(assets))


def repoint_images(markdown: str, source: str, url: str) -> str:
    """Every `(source` image or link destination in `markdown` -> `(url` (spaces after the parenthesis kept)."""
    return re.sub(r"\((\s*)" + re.escape(source), lambda m: "(" + m.group(1) + url, markdown)
