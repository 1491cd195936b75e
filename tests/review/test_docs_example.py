"""docs/review.md shows the comment the renderer really makes for a sample module change."""

from __future__ import annotations

from tests.review.docs_example import END, PAGE, START, page_with_example


def test_the_example_in_the_review_guide_is_the_renderers_output() -> None:
    page = PAGE.read_text(encoding="utf-8")

    assert START in page and END in page
    assert page == page_with_example(page), "docs/review.md is stale: run `python -m tests.review.docs_example`"
