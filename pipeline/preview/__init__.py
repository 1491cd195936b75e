"""The preview stage: static HTML of module files for reviewers.

`build` reads files and writes the site; `html` renders pages purely; `markdown` renders Markdown safely;
`style` is the page shell and its Content-Security-Policy.
"""

from pipeline.preview.build import PreviewResult, build_preview, summarise_preview

__all__ = ["PreviewResult", "build_preview", "summarise_preview"]
