"""Which store the settings name: MEDIA_BUCKET (and MEDIA_ENDPOINT_URL) for S3, else the local media folder."""

from __future__ import annotations

from pipeline.media.keys import MEDIA_URL_PREFIX
from pipeline.media.local import LocalStore
from pipeline.media.s3 import S3Store
from pipeline.media.store import MediaStore
from pipeline.settings import Settings


def open_store(settings: Settings) -> MediaStore:
    """The configured store (no request is made until it is used)."""
    if settings.media_bucket:
        endpoint = settings.http_url("media_endpoint_url", "AWS S3") if settings.media_endpoint_url else None
        return S3Store(settings.media_bucket, endpoint, max_connections=settings.media_upload_workers)
    return LocalStore(settings.media_dir)


def public_base(settings: Settings) -> str:
    """Where students fetch objects: MEDIA_BASE_URL (the CDN), else `/media` on the runtime API's own origin."""
    if settings.media_base_url:
        return settings.http_url("media_base_url", "the runtime's own /media/")
    return MEDIA_URL_PREFIX.rstrip("/")
