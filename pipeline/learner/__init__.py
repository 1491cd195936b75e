"""The reference learner page at /learn/: the modules as students take them, built on the public runtime API only.

Server-rendered page shells (Jinja templates) and one small module of plain JavaScript that calls the API on the
same origin; no build step, no framework. `pipeline.runtime.app` mounts it on the API's app (docs/learner-page.md).
"""

from pipeline.learner.pages import LearnerConfig, learner_blueprint

__all__ = ["LearnerConfig", "learner_blueprint"]
