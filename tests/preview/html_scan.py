"""Read a preview page back with html.parser: its elements, attributes and text, and whether anything could run."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from pipeline.module.markdown_policy import link_scheme
from pipeline.preview.style import CONTENT_SECURITY_POLICY, STYLESHEET

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "data", "xlink:href", "srcset"})
ACTIVE_TAGS = frozenset({"script", "iframe", "object", "embed", "form", "base", "link", "frame", "svg", "math"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""


class ScannedPage(HTMLParser):
    """Every element (with the text inside it) and all text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.texts: list[str] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in ("img", "meta", "br", "hr", "input"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data):
        self.texts.append(data)
        for element in self._open:
            element.text += data

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        """Elements with this tag whose attributes contain `attrs` (class_ for class; a word of it matches)."""
        found = []
        for element in self.elements:
            if element.tag != tag:
                continue
            ok = True
            for name, wanted in attrs.items():
                value = element.attrs.get(name.rstrip("_")) or ""
                ok = ok and (wanted in value.split() if name == "class_" else value == wanted)
            if ok:
                found.append(element)
        return found


def scan(html: str) -> ScannedPage:
    """Parse a page."""
    page = ScannedPage()
    page.feed(html)
    page.close()
    return page


def assert_inert(html: str) -> ScannedPage:
    """Fail unless the page holds no script, event handler, unsafe URL or extra style, and carries the CSP."""
    page = scan(html)
    tags = [e.tag for e in page.elements]
    assert not ACTIVE_TAGS & set(tags), f"active elements: {ACTIVE_TAGS & set(tags)}"
    styles = page.find("style")
    assert len(styles) == 1 and styles[0].text == STYLESHEET, "content escaped into or out of the stylesheet"
    assert [e.attrs.get("content") for e in page.find("meta", **{"http-equiv": "Content-Security-Policy"})] == [
        CONTENT_SECURITY_POLICY
    ]
    assert len(page.find("meta")) == 4, "an extra <meta> (refresh?) got into the page"
    for element in page.elements:
        for name, value in element.attrs.items():
            assert not name.startswith("on"), f"event handler {name}= on <{element.tag}>"
            assert name != "style" or element.attrs.get("class", "").startswith("hotspot"), f"style on {element}"
            if name in URL_ATTRIBUTES:
                assert link_scheme(value or "") in (None, "http", "https", "mailto"), f"{name}={value!r}"
    return page
