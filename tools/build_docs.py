"""Build the static documentation site from nbs/ into docs/, offline, without Quarto.

    python tools/build_docs.py            # write docs/
    python tools/build_docs.py --check    # build into a temporary folder, verify it, compare with docs/

Each notebook becomes one page (index.ipynb is the home page), in reading order, with a sidebar and
previous/next links on every page. nbdev's directives are honoured: `#| hide` and `#| default_exp` cells are
dropped, `#| echo: false` hides the code, `#| output: false` the outputs, `#| export` cells are shown as code
followed by the API reference (`show_doc`) of the public names they define. Formulas (`$...$`, `$$...$$`) are
turned into MathML at build time (latex2mathml), so pages need no network and no JavaScript. Figures are
embedded in the pages; other local files a notebook links to are copied into `_files/`.

Where Quarto exists, `nbdev-docs` builds nbdev's own site from the same notebooks (nbs/_quarto.yml)."""
import argparse, ast, copy, html, re, shutil, sys, tempfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from latex2mathml.converter import convert as tex_to_mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from pygments.formatters import HtmlFormatter

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / 'nbs'

# ---------------------------------------------------------------- notebooks, pages and names
def notebooks(nbs=NBS):
    "index.ipynb first, then the numbered notebooks in reading order."
    rest = sorted(p for p in nbs.glob('*.ipynb') if p.name != 'index.ipynb' and not p.name.startswith(('_', '.')))
    return ([nbs / 'index.ipynb'] if (nbs / 'index.ipynb').exists() else []) + rest

def page_name(nb: Path) -> str:
    "nbdev's naming: `00_data.ipynb` -> `data.html`."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.stem.lower()) + '.html'

def directives(src: str) -> dict:
    "The `#| key: value` lines of a cell as a dict (`#| hide` -> {'hide': ''})."
    out = {}
    for line in src.splitlines():
        m = re.match(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*)$', line)
        if m: out[m.group(1)] = m.group(2).strip()
    return out

def strip_directives(src: str) -> str:
    return '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith('#|')).strip('\n')

def title_of(nb) -> str:
    for c in nb.cells:
        if c.cell_type == 'markdown':
            m = re.search(r'^#\s+(.+)$', c.source, re.M)
            if m: return m.group(1).strip()
    return 'Untitled'

# ---------------------------------------------------------------- markdown: math and links
_CODE = re.compile(r'(```.*?```|`[^`\n]*`)', re.S)
_BLOCK = re.compile(r'\$\$(.+?)\$\$', re.S)
_INLINE = re.compile(r'(?<![\\$\w])\$(?![\s$])(.+?)(?<![\s\\])\$(?!\w)')

def render_math(md: str) -> str:
    "Replace `$$...$$` and `$...$` outside code with MathML."
    codes = []
    def keep(m): codes.append(m.group(0)); return f'\x00{len(codes) - 1}\x00'
    md = _CODE.sub(keep, md)
    md = _BLOCK.sub(lambda m: tex_to_mathml(' '.join(m.group(1).split()), display='block'), md)  # stays in its list item
    md = _INLINE.sub(lambda m: tex_to_mathml(m.group(1)), md)
    return re.sub('\x00(\\d+)\x00', lambda m: codes[int(m.group(1))], md)

_LINK = re.compile(r'(\]\()([^)\s]+)(\))')

def rewrite_links(md: str, nb_dir: Path, out: Path) -> str:
    "Notebook links -> page links; other local files -> copies under `_files/`."
    def fix(m):
        target = m.group(2)
        if re.match(r'^[a-z]+:|^#|^/', target): return m.group(0)
        path, _, frag = target.partition('#')
        if path.endswith('.ipynb'): return f"{m.group(1)}{page_name(Path(path))}{'#' + frag if frag else ''}{m.group(3)}"
        src = (nb_dir / path).resolve()
        if not src.is_file(): raise SystemExit(f"broken link in a notebook: {target}")
        dst = out / '_files' / src.name
        dst.parent.mkdir(parents=True, exist_ok=True); shutil.copyfile(src, dst)
        return f"{m.group(1)}_files/{src.name}{m.group(3)}"
    return _LINK.sub(fix, md)

# ---------------------------------------------------------------- API reference of exported names
def public_names(src: str) -> list:
    "Names of the public functions and classes a cell defines at top level."
    try: tree = ast.parse(src)
    except SyntaxError: return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith('_')]

def api_doc(module: str, name: str) -> str:
    "show_doc's markdown for `module.name`, without nbdev's (here unresolvable) source link."
    import importlib
    from nbdev.showdoc import show_doc
    obj = getattr(importlib.import_module(module), name)
    md = re.sub(r'^\s*---\s*\n', '', clean_show_doc(show_doc(obj)._repr_markdown_()))  # the box separates it
    return f'<div class="api">{markdown2html_mistune(md)}</div>'

def clean_show_doc(md: str) -> str:
    "show_doc markdown without nbdev's source link (no repository URL here), formulas in docstrings rendered."
    return render_math(re.sub(r'^\[source\]\(.*?\)\{.*?\}\s*$', '', md, flags=re.M))

# ---------------------------------------------------------------- one page
def process(nb, nb_path: Path, out: Path):
    "A copy of `nb` with nbdev's directives applied, math rendered and API docs added."
    module, cells = None, []
    for c in nb.cells:
        d = directives(c.source)
        if c.cell_type == 'code' and 'default_exp' in d: module = 'jitsr.' + d['default_exp']
    for c in nb.cells:
        if c.cell_type == 'markdown':
            cells.append(nbformat.v4.new_markdown_cell(render_math(rewrite_links(c.source, nb_path.parent, out)), id=c.get('id')))
            continue
        if c.cell_type != 'code': continue
        d = directives(c.source)
        if 'hide' in d or 'default_exp' in d: continue
        src = strip_directives(c.source)
        if not src: continue
        cell = nbformat.v4.new_code_cell(src, id=c.get('id'))  # the notebook's ids keep the pages stable across builds
        cell.outputs = [] if d.get('output') == 'false' or d.get('eval') == 'false' else copy.deepcopy(c.get('outputs', []))
        for o in cell.outputs:   # show_doc cells in the notebook
            if 'text/markdown' in o.get('data', {}): o['data']['text/markdown'] = clean_show_doc(o['data']['text/markdown'])
        if d.get('echo') == 'false': cell.metadata['jupyter'] = {'source_hidden': True}; cell.metadata['transient'] = {'remove_source': True}
        cells.append(cell)
        if module and ('export' in d or 'exports' in d):
            for name in public_names(src):
                cells.append(nbformat.v4.new_markdown_cell(api_doc(module, name), id=f'api-{name}'))
    new = nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)
    return new

def body_html(nb) -> str:
    exp = HTMLExporter(template_name='basic', exclude_input_prompt=True, exclude_output_prompt=True)
    exp.register_preprocessor('nbconvert.preprocessors.TagRemovePreprocessor', enabled=True)
    body, _ = exp.from_notebook_node(nb)
    return body

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – jitsr</title>
<link rel="stylesheet" href="style.css">
</head><body>
<nav class="sidebar"><a class="brand" href="index.html">jitsr</a>
<ul>{nav}</ul></nav>
<main>{body}
<footer class="pager">{prev}{next}</footer>
</main></body></html>
"""

CSS = """body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1f21;display:flex}
.sidebar{position:sticky;top:0;height:100vh;overflow:auto;flex:0 0 15rem;background:#f6f7f9;border-right:1px solid #e1e4e8;padding:1.2rem 1rem;box-sizing:border-box}
.sidebar .brand{font-weight:700;font-size:1.3rem;text-decoration:none;color:#1d1f21}
.sidebar ul{list-style:none;padding:0;margin:1rem 0}.sidebar li{margin:.35rem 0}
.sidebar a{color:#0b5cad;text-decoration:none}.sidebar li.current a{font-weight:700;color:#1d1f21}
main{flex:1;min-width:0;max-width:58rem;padding:1.5rem 2.5rem 3rem}
h1{font-size:2rem;margin-top:0}h2{border-bottom:1px solid #e1e4e8;padding-bottom:.2rem;margin-top:2rem}
blockquote{margin:0 0 1rem;padding:.2rem 1rem;border-left:4px solid #cfd6de;color:#4a5560;background:#fafbfc}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d5dae0;padding:.3rem .6rem;text-align:left}
pre{background:#f6f8fa;padding:.7rem;overflow:auto;white-space:pre-wrap;word-break:break-word;border-radius:4px;font-size:.85rem;line-height:1.4}
code{font-size:.88em}.jp-OutputArea-output pre{background:#fff;border-left:3px solid #e1e4e8}
img{max-width:100%;height:auto}
math[display=block]{margin:1rem 0;font-size:1.1em}
.api{border:1px solid #d5dae0;border-radius:4px;padding:0 1rem;margin:.5rem 0 1.5rem;background:#fbfcfd}
.api h3{font-family:ui-monospace,monospace;font-size:1.05rem}
.pager{display:flex;justify-content:space-between;margin-top:3rem;border-top:1px solid #e1e4e8;padding-top:1rem}
.jp-Cell{margin:.6rem 0}.jp-InputArea-prompt,.jp-OutputArea-prompt{display:none}
.jp-mod-hidden,.jp-Cell-inputWrapper[hidden]{display:none}
.anchor-link{visibility:hidden;text-decoration:none;margin-left:.3rem;color:#8a96a3}
h1:hover .anchor-link,h2:hover .anchor-link,h3:hover .anchor-link{visibility:visible}
@media (max-width:800px){body{display:block}.sidebar{position:static;height:auto;width:auto}}
"""

def build(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob('*.html')) + [out / '_files']:
        if old.is_dir(): shutil.rmtree(old)
        elif old.exists(): old.unlink()
    nbs = notebooks()
    pages = [(nb, nbformat.read(nb, as_version=4)) for nb in nbs]
    titles = [title_of(nb) for _, nb in pages]
    (out / 'style.css').write_text(CSS + HtmlFormatter(style='default').get_style_defs('.highlight'))
    for i, (path, nb) in enumerate(pages):
        nav = ''.join(f'<li{" class=current" if j == i else ""}><a href="{page_name(p)}">{html.escape(t)}</a></li>'
                      for j, ((p, _), t) in enumerate(zip(pages, titles)))
        prev = f'<a href="{page_name(pages[i - 1][0])}">← {html.escape(titles[i - 1])}</a>' if i > 0 else '<span></span>'
        nxt = f'<a href="{page_name(pages[i + 1][0])}">{html.escape(titles[i + 1])} →</a>' if i + 1 < len(pages) else ''
        body = body_html(process(nb, path, out))
        (out / page_name(path)).write_text(PAGE.format(title=html.escape(titles[i]), nav=nav, body=body, prev=prev, next=nxt))
    return [out / page_name(p) for p in nbs]

# ---------------------------------------------------------------- checks
class _Scan(HTMLParser):
    "Collects links, image sources, ids, visible text outside code, and whether a sidebar exists."
    def __init__(self):
        super().__init__(); self.links, self.srcs, self.ids, self.text, self.sidebar, self._code = [], [], set(), [], False, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'img' and a.get('src'): self.srcs.append(a['src'])
        if tag == 'nav' and 'sidebar' in (a.get('class') or ''): self.sidebar = True
        if tag in ('pre', 'code', 'math', 'style', 'script'): self._code += 1
    def handle_endtag(self, tag):
        if tag in ('pre', 'code', 'math', 'style', 'script'): self._code -= 1
    def handle_data(self, data):
        if self._code <= 0: self.text.append(data)

def scan(page: Path) -> _Scan:
    s = _Scan(); s.feed(page.read_text()); return s

def check(out: Path, pages: list) -> list:
    "Problems a reader would trip over: missing pages or navigation, broken links/images, unrendered formulas."
    problems = []
    expected = [page_name(p) for p in notebooks()]
    for name in expected:
        if not (out / name).exists(): problems.append(f"no page for {name}")
    for page in pages:
        s = scan(page)
        if not s.sidebar: problems.append(f"{page.name}: no navigation")
        if any(n not in s.links for n in expected): problems.append(f"{page.name}: navigation misses pages")
        for ref in s.links + s.srcs:
            if re.match(r'^(data:|https?:|mailto:)', ref): continue
            path, _, frag = ref.partition('#')
            target = out / path if path else page
            if not target.exists(): problems.append(f"{page.name}: broken link {ref}")
            elif frag and target.suffix == '.html' and frag not in scan(target).ids: problems.append(f"{page.name}: broken anchor {ref}")
        raw = [t for t in s.text if re.search(r'\$\$|(?<![\w$])\$[^$\s][^$\n]*[^\s\\]\$(?!\w)', t)]
        if raw: problems.append(f"{page.name}: unrendered formula {raw[0][:60]!r}")
    return problems

def visible_text(page: Path) -> str:
    s = _Scan(); s._code = -10**6; s.feed(page.read_text())  # all text, code included
    return re.sub(r'\s+', ' ', ''.join(s.text)).strip()

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(ROOT / 'docs'))
    ap.add_argument('--check', action='store_true', help='build into a temporary folder, verify, compare with --out')
    a = ap.parse_args()
    if not a.check:
        pages = build(Path(a.out)); problems = check(Path(a.out), pages)
        print(f"wrote {len(pages)} pages to {a.out}")
        if problems: sys.exit('\n'.join(problems))
        return
    with tempfile.TemporaryDirectory() as tmp:
        pages = build(Path(tmp)); problems = check(Path(tmp), pages)
        for p in pages:
            committed = Path(a.out) / p.name
            if not committed.exists() or visible_text(committed) != visible_text(p):
                problems.append(f"{a.out}/{p.name} is out of date with the notebooks: run `python tools/build_docs.py`")
    if problems: sys.exit('\n'.join(problems))
    print(f"docs OK: {len(pages)} pages, navigation, links, images and formulas checked; {a.out} is current")

if __name__ == '__main__': main()
