"""Check the built documentation site in a real browser (headless Chromium, driven by Playwright).

    python tools/check_docs.py docs                 # every page of the site in docs/
    python tools/check_docs.py --self-test          # show that each kind of defect is caught

Every page is served on 127.0.0.1 and loaded at 1280 px and at 390 px (a phone), after its maths has rendered. A page
fails on:
- raw TeX or MathML in its rendered text (`\\frac`, `$x$`, `<mi>`, a control character), outside code;
- a formula MathJax could not typeset, a formula left untypeset, or no rendered maths at all where its notebook
  (`--nbs`) has formulas;
- a broken internal link, anchor (`page.html#id` without that id) or image, a resource that fails to load, a
  JavaScript error;
- an image without alt text (or with a file name, or nbconvert's placeholder, as its alt text);
- horizontal overflow of the page body (it scrolls sideways) at either width, or an inline formula wider than the
  text column (cut off).
The site fails without a search index, or when a search for `--query` finds nothing.
Exit status 1 with one line per problem, 0 when the site is clean. Chromium: `/usr/bin/chromium` (Debian's
`chromium` package) or `--chromium PATH`."""
import argparse, functools, http.server, re, sys, tempfile, threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse, unquote

from playwright.sync_api import sync_playwright

WIDTHS = (1280, 390)
TEX = re.compile(r'\\[a-zA-Z]{2,}|\\[(\[{}_^]|(?<![\w$])\$\$?[^$\n]{0,200}?[\\_^{}=][^$\n]{0,200}?\$\$?(?![\w$])'
                 r'|</?m(i|o|n|row|frac|sub|sup)>|[\x00-\x08\x0b\x0c\x0e-\x1f]')
# Markup that a renderer should have consumed: MyST roles and directives, reST, nbdev's cell directives.
MARKUP = re.compile(r'\{[\w:-]+\}`|(?m:^\s*:{3,})|\.\. [\w-]+::|:(class|func|meth|mod|attr|obj):`|#\|')
FORMULA = re.compile(r'\$\$.+?\$\$|(?<![\\$\w])\$(?![\s$])[^$\n]+?(?<![\s\\])\$(?!\w)', re.S)
CODE = re.compile(r'```.*?```|`[^`\n]*`', re.S)

# Text a reader sees, outside code and typeset maths.
VISIBLE_TEXT = """() => {
  const body = document.querySelector('article') || document.body;
  const clone = body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, math, .highlight, .MathJax, .headerlink')
       .forEach(e => e.remove());
  return clone.textContent;
}"""

MATH_STATE = """() => ({
  typeset: document.querySelectorAll('mjx-container').length + document.querySelectorAll('math').length,
  errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error') || e.textContent),
  pending: Array.from(document.querySelectorAll('span.math, div.math'))
                .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60)),
})"""

LINKS = """() => ({
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
                                                  alt: (i.getAttribute('alt') || '').trim()})),
  ids: Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name')),
})"""

# The page body scrolls sideways (or cuts off its content): the root, or an element that holds the article and
# scrolls or clips (as Furo's .content does on a phone), is wider inside than it is; and the outermost elements that
# stick out of it (those inside an inner scroller, a table or a code block, are fine).
OVERFLOW = """() => {
  const art = document.querySelector('article') || document.body;
  const holders = [document.documentElement];
  for (let p = art; p && p !== document.documentElement; p = p.parentElement) holders.push(p);
  const clips = h => h === document.documentElement || h === document.body
                     || ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(h).overflowX);
  const h = holders.find(h => clips(h) && h.scrollWidth > h.clientWidth + 1);   // overflow that shows or is cut
  if (!h) return null;
  const right = h === document.documentElement ? h.clientWidth : h.getBoundingClientRect().left + h.clientWidth;
  const inner = e => { for (let p = e.parentElement; p && p !== h; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  const out = Array.from(h.querySelectorAll('*')).filter(e => {
      const r = e.getBoundingClientRect(); return r.right > right + 1 && r.width > 0 && !inner(e); })
    .filter((e, _, all) => !all.includes(e.parentElement))
    .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '')
                          + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
  return {scroll_width: h.scrollWidth, width: h.clientWidth, elements: out};
}"""


# Inline formulas wider than the text column: the theme clips them, and the reader loses part of the formula.
CLIPPED_MATHS = """() => {
  const art = document.querySelector('article') || document.body, col = art.getBoundingClientRect();
  const scroller = e => { for (let p = e.parentElement; p && p !== art; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; }
    return false; };
  return Array.from(document.querySelectorAll('mjx-container:not([display="true"])'))
    .filter(e => e.getBoundingClientRect().right > col.right + 1 || e.getBoundingClientRect().width > col.width)
    .filter(e => !scroller(e))
    .slice(0, 3).map(e => e.textContent.slice(0, 40));
}"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address): pass     # the browser hung up (it left the page): not a defect


def serve(root: Path):
    "A local HTTP server of `root` on a free port; returns (server, base URL)."
    srv = Server(('127.0.0.1', 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f'http://127.0.0.1:{srv.server_address[1]}/'


def notebook_formulas(nbs: Path | None, page: str) -> bool:
    "Whether the notebook behind `page` (`07_core.html` or nbdev's `core.html`) has formulas in its prose."
    if nbs is None: return False
    import json
    stem = page[:-5]
    cands = [p for p in nbs.glob('*.ipynb') if p.stem == stem or re.sub(r'^\d+[a-z0-9]*_', '', p.stem.lower()) == stem]
    for nb in cands:
        for c in json.loads(nb.read_text())['cells']:
            if c['cell_type'] == 'markdown' and FORMULA.search(CODE.sub('', ''.join(c['source']))): return True
    return False


def wait_for_maths(page):
    page.wait_for_load_state('load')
    page.evaluate("""async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)
                                      await MathJax.startup.promise;
                                    await document.fonts.ready; }""")


def check_page(page, base: str, root: Path, name: str, nbs, problems: list, ids_cache: dict):
    errors = []
    page.on('pageerror', lambda e: errors.append(f'JavaScript error: {e}'))
    page.on('requestfailed', lambda r: 'ERR_ABORTED' not in (r.failure or '') and   # aborted: the page was left
            errors.append(f'failed to load {r.url[len(base):] if r.url.startswith(base) else r.url} ({r.failure})'))
    page.on('response', lambda r: r.status >= 400 and errors.append(f'HTTP {r.status} for {r.url[len(base):]}'))
    for width in WIDTHS:
        page.set_viewport_size({'width': width, 'height': 900})
        page.goto(base + name)
        wait_for_maths(page)
        page.wait_for_timeout(300)                            # scripts that run just after load
        if (o := page.evaluate(OVERFLOW)):
            problems.append(f"{name}: at {width} px the page is {o['scroll_width']} px wide and scrolls sideways "
                            f"({', '.join(o['elements']) or 'no single element'})")
        for f in page.evaluate(CLIPPED_MATHS):
            problems.append(f'{name}: at {width} px an inline formula is wider than the text and cut off: {f!r}')
    text = page.evaluate(VISIBLE_TEXT)
    for pattern, what in ((TEX, 'raw TeX or MathML'), (MARKUP, 'literal markup')):
        for m in list(pattern.finditer(text))[:3]:
            ctx = text[max(0, m.start() - 30):m.end() + 30].replace('\n', ' ')
            problems.append(f'{name}: {what} in the text: {ctx!r}')
    maths = page.evaluate(MATH_STATE)
    for e in maths['errors'][:3]: problems.append(f'{name}: a formula MathJax could not typeset: {e}')
    for e in maths['pending'][:3]: problems.append(f'{name}: a formula left untypeset: {e!r}')
    if maths['typeset'] == 0 and notebook_formulas(nbs, name):
        problems.append(f'{name}: no rendered maths, but its notebook has formulas')
    found = page.evaluate(LINKS)
    ids_cache[name] = set(found['ids'])
    for img in found['images']:
        if not img['ok']: problems.append(f"{name}: broken image {img['src'][len(base):]}")
        if not img['alt'] or re.search(r'\.(png|jpe?g|svg|gif|webp)$|^No description has been provided', img['alt']):
            problems.append(f"{name}: image without alt text {img['src'][len(base):][:60]}")
    problems.extend(f'{name}: {e}' for e in dict.fromkeys(errors))
    return [l for l in found['links'] if l.startswith(base)]


def check_links(links: dict, base: str, root: Path, page, problems: list, ids_cache: dict):
    "Every internal link points at a file that exists, and every #anchor at an id of that page."
    for src, targets in links.items():
        for url in dict.fromkeys(targets):
            path, frag = urldefrag(url)
            rel = unquote(urlparse(path).path).lstrip('/') or 'index.html'
            if rel.endswith('/'): rel += 'index.html'
            if not (root / rel).is_file():
                problems.append(f'{src}: broken link to {rel}'); continue
            if frag and rel.endswith('.html'):
                if rel not in ids_cache:
                    page.goto(base + rel); ids_cache[rel] = set(page.evaluate(LINKS)['ids'])
                if unquote(frag) not in ids_cache[rel]: problems.append(f'{src}: broken anchor {rel}#{frag}')


def check_search(page, base: str, root: Path, query: str, problems: list):
    if not (root / 'searchindex.js').is_file() or not (root / 'search.html').is_file():
        problems.append('site: no search index (searchindex.js and search.html)'); return
    page.goto(f'{base}search.html?q={query}')
    try: page.wait_for_selector('#search-results li, ul.search li', timeout=30000)
    except Exception: problems.append(f'site: a search for {query!r} finds nothing')


def check_site(root: Path, nbs: Path | None = None, chromium: str = '/usr/bin/chromium', query: str = 'JiTSR') -> list:
    "The list of problems of the site in `root` (empty when clean)."
    root = root.resolve()
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob('*.html') if not p.relative_to(root).parts[0] == '_static')
    if not pages: return [f'{root}: no HTML pages']
    srv, base = serve(root)
    problems, links, ids_cache = [], {}, {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=[
                '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync'])
            for name in pages:
                page = browser.new_page()
                links[name] = check_page(page, base, root, name, nbs, problems, ids_cache)
                page.close()
            page = browser.new_page()
            check_links(links, base, root, page, problems, ids_cache)
            check_search(page, base, root, query, problems)
            browser.close()
    finally:
        srv.shutdown()
    return problems


# ------------------------------------------------------------------ the self-test: one defect per page
MATHJAX = Path(__file__).resolve().parent.parent / 'docs_src' / '_static' / 'mathjax'
HEAD = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        '<script>window.MathJax={tex:{inlineMath:[["\\\\(","\\\\)"]]}};</script>'
        '<script defer src="mathjax/tex-chtml.js"></script></head><body>')
DEFECTS = {   # page -> (body, the problem the check must report)
    'ok.html': ('<p>Fine: <span class="math">\\(x_t = t x + (1 - t)\\epsilon\\)</span>, <a href="raw.html#sec">a link</a>.'
                '<img src="pic.png" alt="a picture"></p>', None),
    'raw.html': ('<h2 id="sec">S</h2><p>The loss $\\frac{1}{2}\\lVert v \\rVert^2$ as typed.</p>', 'raw TeX'),
    'mathml.html': ('<p>Split formula: &lt;mi&gt;x&lt;/mi&gt;&lt;mo&gt;=&lt;/mo&gt;</p>', 'raw TeX or MathML'),
    'formfeed.html': ('<p>Locality: <span class="math">\\(\x0crac{a}{b}\\)</span></p>', 'could not typeset'),
    'nomaths.html': ('<p>x_t = t x + (1 - t) eps, written as plain text.</p>', 'no rendered maths'),
    'link.html': ('<p><a href="missing.html">gone</a></p>', 'broken link'),
    'anchor.html': ('<p><a href="ok.html#nowhere">gone</a></p>', 'broken anchor'),
    'image.html': ('<p><img src="missing.png" alt="missing"></p>', 'broken image'),
    'alt.html': ('<p><img src="pic.png"></p>', 'without alt text'),
    'altname.html': ('<p><img src="pic.png" alt="_images/pic.png"></p>', 'without alt text'),
    'longmath.html': ('<p>Inline: <span class="math">\\(' + ' + '.join(f'a_{{{i}}}' for i in range(60)) + '\\)</span></p>', 'cut off'),
    'spacetex.html': ('<p>Typed with spaces: $ x_t = t x $ and x \\in [0, 1].</p>', 'raw TeX'),
    'markup.html': ('<p>A role left as text: {py:obj}`JiTSR`.</p>', 'literal markup'),
    'untypeset.html': ('<p>Without delimiters MathJax never sees it: <span class="math">x_t</span></p>', 'left untypeset'),
    'jserror.html': ('<p>ok</p><script>setTimeout(() => { throw new Error("late") }, 100)</script>', 'JavaScript error'),
    'css.html': ('<link rel="stylesheet" href="missing.css"><p>ok</p>', 'HTTP 404'),
    'phone.html': ('<div style="overflow-x:auto"><article><div style="width:800px">fits at 1280 px only</div></article></div>',
                   'at 390 px the page'),
    'wide.html': ('<pre style="white-space:pre">' + 'a wide fixed-width table row ' * 12 + '</pre>', 'scrolls sideways'),
}


def self_test(chromium: str) -> int:
    "Build a small site with one defect per page and check that every defect, and only those, is reported."
    import shutil, zlib, struct
    with tempfile.TemporaryDirectory() as d:
        root, nbs = Path(d) / 'site', Path(d) / 'nbs'
        shutil.copytree(MATHJAX, root / 'mathjax'); nbs.mkdir()
        raw = b'\x00\xff\x00\x00'   # a 1x1 red PNG
        png = b'\x89PNG\r\n\x1a\n' + b''.join(struct.pack('>I', len(d_)) + t + d_ + struct.pack('>I', zlib.crc32(t + d_))
              for t, d_ in [(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0)), (b'IDAT', zlib.compress(raw)), (b'IEND', b'')])
        (root / 'pic.png').write_bytes(png)
        for name, (body, _) in DEFECTS.items():
            if '<article>' not in body: body = f'<article>{body}</article>'
            (root / name).write_text(HEAD + body + '</body></html>')
        (nbs / 'nomaths.ipynb').write_text('{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["$x_t$"]}],'
                                           ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
        problems = check_site(root, nbs, chromium)
    failed = 0
    for name, (_, expected) in DEFECTS.items():
        mine = [p for p in problems if p.startswith(name + ':')]
        ok = (not mine) if expected is None else any(expected in p for p in mine)
        print(f"{'ok  ' if ok else 'FAIL'} {name:14s} {'clean' if expected is None else 'caught: ' + expected}"
              f"{'' if ok else '  -- got: ' + repr(mine)}")
        failed += not ok
    search = [p for p in problems if p.startswith('site:')]
    ok = any('no search index' in p for p in search)
    print(f"{'ok  ' if ok else 'FAIL'} {'(site)':14s} caught: no search index"); failed += not ok
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('site', nargs='?', type=Path, help='the folder of the built site (docs/)')
    ap.add_argument('--nbs', type=Path, default=Path(__file__).resolve().parent.parent / 'nbs',
                    help='the notebooks, to know which pages must show formulas')
    ap.add_argument('--chromium', default='/usr/bin/chromium')
    ap.add_argument('--query', default='JiTSR', help='a word the search must find')
    ap.add_argument('--self-test', action='store_true', help='check that each kind of defect is caught')
    a = ap.parse_args()
    if not Path(a.chromium).exists(): sys.exit(f'no Chromium at {a.chromium}: apt-get install chromium, or --chromium PATH')
    if a.self_test: sys.exit(self_test(a.chromium))
    if a.site is None or not a.site.is_dir(): sys.exit(f'no site folder: {a.site}')
    problems = check_site(a.site, a.nbs, a.chromium, a.query)
    for p in problems: print(p)
    print(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {a.site}")
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
