"""The student runtime API: live modules, progress through revisions, assignments and analytics events."""

from pipeline.runtime.app import create_app, serve, wsgi_app

__all__ = ["create_app", "serve", "wsgi_app"]
