"""Does a stored original exist, and with the right type? Asked of the store with credentials, else of the public
CDN (a fork's PR has no secret: it reads what students would read), never with a secret it does not have."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pipeline.media.backends import open_store
from pipeline.media.keys import content_type_of_key
from pipeline.media.store import MediaStore, MediaStoreError
from pipeline.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class MediaLookup:
    """Where references are checked: the store itself, or the CDN at `base_url`."""

    store: MediaStore | None
    base_url: str | None
    description: str

    def problems(self, keys: Iterable[str]) -> dict[str, str]:
        """key -> why it does not resolve (missing, wrong type, unreachable), for each key that does not."""
        keys = sorted(set(keys))
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(self._problem, keys))
        return {key: why for key, why in zip(keys, answers, strict=True) if why}

    def _problem(self, key: str) -> str | None:
        if self.store is not None:
            try:
                return None if self.store.exists(key) else f"is not stored in {self.description}"
            except MediaStoreError as exc:
                return f"could not be checked ({exc})"
        request = urllib.request.Request(f"{self.base_url}/{key}", method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                served = answer.headers.get("Content-Type", "").split(";")[0].strip()
        except urllib.error.HTTPError as exc:
            return f"is not served by {self.description} (HTTP {exc.code})"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            return f"could not be checked: {self.description} is unreachable ({getattr(exc, 'reason', exc)})"
        wanted = content_type_of_key(key)
        return None if served == wanted else f"is served as {served or 'no type'}, not {wanted}"


def media_lookup(settings: Settings) -> MediaLookup | None:
    """The way this process can check references: the local store, the bucket (with credentials), or the CDN;
    None when none is available (a bucket without credentials and without MEDIA_BASE_URL)."""
    if not settings.media_bucket:
        store = open_store(settings)
        return MediaLookup(store, None, store.description)
    if _has_credentials():
        store = open_store(settings)
        return MediaLookup(store, None, store.description)
    if settings.media_base_url:
        base = settings.http_url("media_base_url", "the runtime's own /media/")
        return MediaLookup(None, base, f"the CDN {base}")
    return None


def _has_credentials() -> bool:
    import boto3  # type: ignore[import-untyped]

    try:
        return boto3.session.Session().get_credentials() is not None
    except Exception as exc:
        log.info("no usable AWS credentials (%s): references are checked through MEDIA_BASE_URL", type(exc).__name__)
        return False
