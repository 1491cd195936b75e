"""What the browser tests check on every page they look at: labels, focus rings and WCAG AA colour contrast."""

from __future__ import annotations

from typing import Any

# Controls without an accessible name: inputs without a label, buttons without text or aria-label.
_UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button, progress, a[href]')]
  .filter((e) => e.offsetParent !== null)
  .filter((e) => {
    if (['INPUT', 'SELECT', 'TEXTAREA', 'PROGRESS'].includes(e.tagName)) return !(e.labels && e.labels.length);
    return !(e.getAttribute('aria-label') || e.textContent.trim());
  })
  .map((e) => e.outerHTML.slice(0, 120))"""

# WCAG 2.1 contrast of every visible text against the first opaque background behind it: 4.5:1, or 3:1 for
# large text (24 px, or 18.66 px bold).
_LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0.9) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const e = node.parentElement;
    if (!node.textContent.trim() || !e || e.offsetParent === null) continue;
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden' || Number(style.opacity) < 1) continue;
    const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(e))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) found.push(`${ratio.toFixed(2)}: ${node.textContent.trim().slice(0, 40)}`);
  }
  return found;
}"""


def accessibility_problems(page: Any) -> list[str]:
    """Unlabelled controls and text below WCAG AA contrast on the page as it is now."""
    unlabelled = [f"no label: {html}" for html in page.evaluate(_UNLABELLED)]
    return unlabelled + [f"contrast {line}" for line in page.evaluate(_LOW_CONTRAST)]


def focus_ring(page: Any) -> tuple[str, float]:
    """The focused element's outline style and width in px (after a Tab: :focus-visible applies)."""
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); "
        "return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    return style[0], style[1]
