"""The reviewer preview's page shell: Content-Security-Policy, viewport and the inline stylesheet (no CDN, no JS)."""

from __future__ import annotations

# Even if an escape were missed, this policy lets no script run and no outside resource load.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

STYLESHEET = """
:root { --fg: #1f2328; --muted: #59636e; --bg: #f6f8fa; --card: #fff; --line: #d1d9e0; --accent: #0969da;
  --ok: #1a7f37; --ok-bg: #dafbe1; --add-bg: #e6ffec; --del-bg: #ffebe9; --del: #cf222e; --warn-bg: #fff8c5;
  --marker: #d1242f; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #151b23; --line: #3d444d; --accent: #4493f8;
    --ok: #3fb950; --ok-bg: #12261e; --add-bg: #12261e; --del-bg: #301313; --del: #f85149; --warn-bg: #2e2a12; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.55; -webkit-text-size-adjust: 100%;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
a { color: var(--accent); }
h1 { font-size: 1.75rem; line-height: 1.25; margin: .5rem 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.3rem; line-height: 1.3; margin: 0; overflow-wrap: anywhere; }
h3, h4, h5, h6 { line-height: 1.3; margin: 1.2rem 0 .4rem; }
img, video { max-width: 100%; height: auto; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .875em; }
code { background: var(--bg); border-radius: 4px; padding: .1em .3em; overflow-wrap: anywhere; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .75rem; overflow-x: auto; }
pre code { background: none; padding: 0; overflow-wrap: normal; }
table { border-collapse: collapse; display: block; overflow-x: auto; margin: .75rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
blockquote { margin: .75rem 0; padding: 0 1rem; border-left: 4px solid var(--line); color: var(--muted); }
.crumbs { font-size: .9rem; color: var(--muted); margin: 0; }
.lead { font-size: 1.1rem; color: var(--muted); margin: .25rem 0 1rem; overflow-wrap: anywhere; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.1rem;
  margin: 1rem 0; overflow-wrap: anywhere; }
.card > :last-child { margin-bottom: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: 999px; padding: 0 .55rem;
  margin: 0 .25rem .25rem 0; font-size: .85rem; background: var(--bg); }
.objectives { margin: .25rem 0 0; padding-left: 1.4rem; }
.section-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .4rem .6rem; margin-bottom: .6rem; }
.section-head .num { color: var(--muted); }
.badge { font-size: .75rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; border-radius: 4px;
  padding: .1rem .45rem; background: var(--bg); border: 1px solid var(--line); color: var(--muted); }
.meta { font-size: .85rem; color: var(--muted); }
.change { font-size: .75rem; font-weight: 700; border-radius: 4px; padding: .1rem .45rem; white-space: nowrap; }
.change-added, .change-new { background: var(--add-bg); color: var(--ok); }
.change-changed, .change-moved { background: var(--warn-bg); }
.change-removed { background: var(--del-bg); color: var(--del); }
.note { background: var(--warn-bg); border-radius: 6px; padding: .5rem .75rem; margin: .5rem 0; }
.external { display: block; border: 1px dashed var(--line); border-radius: 8px; padding: .75rem; margin: .5rem 0;
  color: var(--muted); overflow-wrap: anywhere; }
figure { margin: .5rem 0 1rem; }
figcaption { margin-top: .5rem; }
.hotspot-image { position: relative; display: inline-block; max-width: 100%; vertical-align: top; line-height: 0; }
.hotspot-image img { display: block; width: 100%; }
.hotspot { position: absolute; width: 1.7rem; height: 1.7rem; margin: -.85rem 0 0 -.85rem; border-radius: 50%;
  background: var(--marker); color: #fff; border: 2px solid #fff; box-shadow: 0 1px 4px rgba(0,0,0,.45);
  font: 700 .8rem/1.45rem system-ui, sans-serif; text-align: center; }
.hotspot-label { position: absolute; left: 1.9rem; top: .1rem; white-space: nowrap; padding: 0 .35rem;
  background: rgba(0,0,0,.75); color: #fff; border-radius: 4px; font-weight: 600; line-height: 1.3rem; }
.hotspot.flip .hotspot-label { left: auto; right: 1.9rem; }
.hotspots { padding-left: 1.6rem; }
.hotspots li { margin: .25rem 0; }
@media (max-width: 640px) { .hotspot-label { display: none; } main { padding: .75rem .75rem 2rem; }
  .card { padding: .85rem; } h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; } }
.questions { padding-left: 1.4rem; }
.questions > li { margin: .75rem 0 1rem; }
.choices { list-style: upper-alpha; padding-left: 1.6rem; margin: .35rem 0; }
.choices li { margin: .2rem 0; padding: .1rem .35rem; border-radius: 4px; }
.choices li.correct { background: var(--ok-bg); font-weight: 600; }
.correct-mark { color: var(--ok); font-size: .85rem; margin-left: .35rem; white-space: nowrap; }
.explanation { color: var(--muted); margin: .25rem 0; }
details.diff { margin: .5rem 0; }
details.diff summary { cursor: pointer; color: var(--muted); }
pre.diff { padding: .5rem 0; white-space: pre; }
pre.diff span { display: block; padding: 0 .75rem; min-height: 1.2em; }
pre.diff .add { background: var(--add-bg); }
pre.diff .del { background: var(--del-bg); }
pre.diff .hunk { color: var(--muted); }
.changes ul { margin: .25rem 0; padding-left: 1.2rem; }
.modules { list-style: none; padding: 0; margin: 0; }
.modules li { border-top: 1px solid var(--line); padding: .75rem 0; }
.modules li:first-child { border-top: 0; }
.modules .title { font-weight: 600; font-size: 1.1rem; }
.modules li > div { margin-top: .2rem; }
.error { color: var(--del); }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
"""


def page_shell(title: str, body: str) -> str:
    """A whole HTML page; `title` and `body` must already be escaped HTML."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLESHEET}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
