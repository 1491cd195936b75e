"""`/media/<key>`: the local media folder served with the headers a CDN would pass on (when MEDIA_BUCKET is unset).

Immutable caching (a key's bytes never change), the object's own Content-Type, `nosniff`, attachment for a PDF,
and a sandboxing CSP, so that nothing served here can run script on the student origin.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, send_file

from pipeline.media.keys import headers_for
from pipeline.media.local import LocalStore
from pipeline.runtime.errors import ApiError


def register_media_files(app: Flask, store: LocalStore) -> None:
    """Serve `store` at /media/…"""
    media = Blueprint("media_files", __name__)

    @media.get("/media/<path:key>")
    def media_file(key: str) -> Response:
        path = store.path_of(key)
        if path is None or not path.is_file():
            raise ApiError(404, "not_found", f"no media object {key[:200]!r}; the module's URLs name the stored ones")
        headers = headers_for(key)
        answer = send_file(path, mimetype=headers.content_type, conditional=True, etag=True, max_age=None)
        answer.headers.update(headers.as_http())
        answer.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        answer.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        return answer

    app.register_blueprint(media)
