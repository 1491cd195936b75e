"""Text from Notion made inert on GitHub: no `@user` / `@org/team` ping, no `#123` link, no raw HTML.

A team lead writes whatever they like in Notion; the pipeline copies it into PR titles, bodies and comments,
where GitHub would notify `@someone`, cross-reference issue 123 in its timeline, or render `<details>` and
`<!-- … -->` (which could also close our own folds or fake our hidden markers). A zero-width space after the
`@` or `#` stops GitHub's autolinking while the reader still sees the same characters.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"

# GitHub mentions `@name` / `@org/team` when the `@` is not glued to a word (e-mail addresses stay as they are)
# nor to a path (`…/@scope/pkg` in a URL is left whole).
_MENTION = re.compile(r"(?<![\w/.+-])@(?=[A-Za-z0-9])")
# `#123`, `owner/repo#123` and `GH-123` become issue links; `&#123;` is a character reference, not a link.
_ISSUE_REF = re.compile(r"(?<!&)#(?=\d)")
_GH_REF = re.compile(r"\b(GH)-(?=\d)", re.IGNORECASE)
# A `<` that starts a tag, a closing tag, a comment or a declaration; `x < y` stays readable.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# `&name;` / `&#64;` would be decoded by GitHub (`&#64;user` is an `@` mention again).
_ENTITY = re.compile(r"&(?=#?\w+;)")


def neutralise(text: str, *, markdown: bool = True) -> str:
    """`text` with mentions, issue references and (for Markdown) HTML tags and entities made inert.

    `markdown=False` is for plain-text places such as a PR title, where GitHub renders no HTML but still links
    `#123`: tags are left as they are there, since escaping them would show `&lt;` literally.
    """
    if markdown:
        text = _ENTITY.sub("&amp;", text)
        text = _TAG_START.sub("&lt;", text)
    text = _MENTION.sub("@" + ZERO_WIDTH_SPACE, text)
    text = _ISSUE_REF.sub("#" + ZERO_WIDTH_SPACE, text)
    return _GH_REF.sub(lambda m: m[1] + ZERO_WIDTH_SPACE + "-", text)
