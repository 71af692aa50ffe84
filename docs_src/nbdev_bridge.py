"""A Sphinx extension that reads nbdev notebooks the way nbdev's own renderer does, for myst-nb.

Sphinx hands each notebook's text to the `source-read` event before myst-nb parses it; here that text is rewritten:

- nbdev's cell directives: `#| hide` and `#| default_exp` cells are dropped; `#| echo: false` hides the code,
  `#| output: false` the outputs; `#| fig-cap:` and `#| fig-alt:` (Quarto's names) become the figure's caption and
  alt text; every other `#|` line is removed from the code shown.
- After each `#| export` cell, the API entry of each public function, class or `@patch`ed method it defines: its
  signature, its docstring (read as Markdown, like the notebooks) and a link to its source, as Sphinx's Python domain
  objects, so that they are indexed, searchable and linkable (nbdev's `show_doc`, placed where nbdev places it);
  cells that only call `show_doc` are dropped, since every entry is already there.
- Links to local files other than notebooks (`../data/LICENSES.md`) become downloads of those files; a link to a
  page of the site itself (`../docs/index.html`, for the README) becomes a link to that page.
- In prose and docstrings, a backticked public name (`JiTSR`, `JiTSR.load`, `tile_upscale()`) links to its API entry
  and a module (`jitsr.core`) to its notebook, as nbdev's renderer links names; a bare method name (`step`) is left
  alone, being a word more often than a method. "notebook 06" links to that notebook.
- The home page gets the table of contents: every notebook in reading order, numbered as the prose numbers them.
"""
import ast, importlib, inspect, re, textwrap
from pathlib import Path

import nbformat

DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
NB_REF = re.compile(r'\b(notebooks?)((?:\s*(?:,|and|or|&|–|-|to)?\s*\d\d[a-z]?\b(?!\w|\.\d))+)')
NB_NUM = re.compile(r'\d\d[a-z]?')
# spans of Markdown that are left alone: code fences, math, links and images, inline HTML, headings
PROTECT = re.compile(r'(```.*?```|~~~.*?~~~|\$\$.*?\$\$|(?<![\\$])\$[^$\n]+\$|!?\[[^\]]*\]\([^)]*\)|<[^>\n]+>|^#+ [^\n]*$)', re.S | re.M)
INLINE_CODE = re.compile(r'(?<!`)`([^`\n]+)`(?!`)')


def directives(src: str) -> dict:
    "The `#| key: value` lines of a cell: `{'hide': '', 'fig-cap': 'A caption'}`."
    return {m.group(1): m.group(2).strip('"\'') for l in src.splitlines() if (m := DIRECTIVE.match(l))}


def strip_directives(src: str) -> str:
    return '\n'.join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip('\n')


def notebooks(srcdir: Path) -> list:
    "The notebooks of the site in reading order: index first, then by file name."
    rest = sorted(p for p in srcdir.glob('*.ipynb') if p.name != 'index.ipynb' and not p.name.startswith(('_', '.')))
    return [srcdir / 'index.ipynb'] + rest


# ------------------------------------------------------------------ what the API reference documents
def _patch_target(fn: ast.FunctionDef):
    "`Class` for a function decorated with fastcore's `@patch` whose first argument is annotated `Class`."
    decos = [d.func if isinstance(d, ast.Call) else d for d in fn.decorator_list]
    if not any(isinstance(d, ast.Name) and d.id == 'patch' for d in decos) or not fn.args.args: return None
    ann = fn.args.args[0].annotation
    return ann.id if isinstance(ann, ast.Name) else None


def defined_names(src: str) -> list:
    "Public names a code cell defines at top level: `['f', 'Cls', 'Cls.method']` (`@patch`ed methods as `Cls.method`)."
    try: tree = ast.parse(src)
    except SyntaxError: return []
    out = []
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and (cls := _patch_target(n)):
            if not n.name.startswith('_'): out.append(f'{cls}.{n.name}')
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not n.name.startswith('_'):
            out.append(n.name)
    return out


def class_members(cls) -> list:
    "Public methods and properties defined in `cls`'s own body, in source order."
    try: tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError): return []
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    return [n.name for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith('_')]


def module_of(nb) -> str | None:
    "`jitsr.core` for a notebook with `#| default_exp core`."
    return next((f"jitsr.{directives(c.source)['default_exp']}" for c in nb.cells
                 if c.cell_type == 'code' and 'default_exp' in directives(c.source)), None)


def api_index(srcdir: Path) -> tuple:
    """`(index, patched)`. `index` maps a name as prose writes it to what it links to: a documented function or class by
    its short name (`JiTSR`) and dotted name, a method as `Class.method` (also when inherited from a documented
    class), a module (`jitsr.core`) to its notebook as `'nb:07_core.ipynb'`; an ambiguous name maps to None. Bare
    method names are not linked: `step` in prose is a word more often than `TrainingProgress.step`. `patched` maps
    a module to its `@patch`ed methods `{'Class.method': function}`, for source links."""
    index, patched, classes = {}, {}, []
    def add(key, full): index[key] = full if index.get(key, full) == full else None
    for nb_path in notebooks(srcdir):
        nb = nbformat.read(nb_path, as_version=4)
        if not (module := module_of(nb)): continue
        add(module, f'nb:{nb_path.name}')
        mod = importlib.import_module(module)
        for c in nb.cells:
            if c.cell_type != 'code' or not {'export', 'exports'} & directives(c.source).keys(): continue
            for name in defined_names(strip_directives(c.source)):
                add(name, f'{module}.{name}'); add(f'{module}.{name}', f'{module}.{name}')
                if '.' in name:
                    cls_name, meth = name.split('.')
                    raw = inspect.getattr_static(getattr(mod, cls_name), meth)
                    patched.setdefault(module, {})[name] = (getattr(raw, 'fget', None) or getattr(raw, '__func__', None)
                                                            or getattr(raw, 'f', raw))   # property, classmethod, fastcore's
                elif inspect.isclass(obj := getattr(mod, name, None)):
                    classes.append((module, name, obj))
                    for m in class_members(obj): add(f'{name}.{m}', f'{module}.{name}.{m}')
    documented = {v for v in index.values() if v and not v.startswith('nb:')}
    for module, name, cls in classes:        # members inherited from a documented class: JiTSR.upscale -> SRModel.upscale
        for m in (m for m in dir(cls) if not m.startswith('_') and f'{name}.{m}' not in index):
            for base in cls.__mro__[1:]:
                if (full := f'{base.__module__}.{base.__qualname__}.{m}') in documented:
                    add(f'{name}.{m}', full); break
    return index, patched


# ------------------------------------------------------------------ API entries
def signature(obj, drop_first=False) -> str:
    """`(a: int, b=1) -> str` with annotations evaluated (the modules use `from __future__ import annotations`) and
    unreadable defaults (`<function f at 0x…>`) shown as `...`; '' where there is none to show (`(*args, **kwargs)`)."""
    try: sig = inspect.signature(obj, eval_str=True)
    except (TypeError, ValueError, NameError):
        try: sig = inspect.signature(obj)
        except (TypeError, ValueError): return ''
    params = list(sig.parameters.values())[1 if drop_first else 0:]
    if params and all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params) and not drop_first: return ''
    s = str(sig.replace(parameters=params))
    return re.sub(r'<[^<>]*>', '...', s)


def docstring(obj) -> str:
    "The object's own docstring (not one inherited from `torch.nn.Module` or another parent), dedented."
    doc = obj.__dict__.get('__doc__') if inspect.isclass(obj) else getattr(obj, '__doc__', None)
    doc = inspect.cleandoc(doc) if isinstance(doc, str) else ''
    if inspect.isclass(obj) and re.match(rf'{obj.__name__}\(', doc): return ''   # a dataclass's generated docstring
    return doc


def entry(module: str, name: str, index: dict, files: dict | None = None) -> str:
    "The MyST text of one API entry (a Python-domain directive holding the docstring)."
    mod = importlib.import_module(module)
    if '.' in name:                                                  # a @patch'ed method
        cls_name, meth = name.split('.')
        cls = getattr(mod, cls_name); obj = inspect.getattr_static(cls, meth)
        return member(module, cls_name, meth, obj, index, files, fence=':::')
    obj = getattr(mod, name)
    if inspect.isclass(obj):
        sig = '' if issubclass(obj, BaseException) else signature(obj)
        parts = [f'::::{{py:class}} {name}{sig}', f':module: {module}', '', link_names(docstring(obj), index, files)]
        for m in class_members(obj):
            parts += ['', member(module, name, m, inspect.getattr_static(obj, m), index, files, fence=':::', nested=True)]
        return '\n'.join(parts + ['::::'])
    return '\n'.join([f':::{{py:function}} {name}{signature(obj)}', f':module: {module}', '',
                      link_names(docstring(obj), index, files), ':::'])


def member(module, cls_name, meth, raw, index, files=None, fence=':::', nested=False) -> str:
    "A method, classmethod, staticmethod or property of `cls_name`."
    target = f'{meth}' if nested else f'{cls_name}.{meth}'
    if isinstance(raw, property):
        head, opts, fn = f'{fence}{{py:property}} {target}', [], raw.fget
    elif isinstance(raw, (classmethod, staticmethod)) or type(raw).__name__ == '_clsmethod':
        fn = getattr(raw, '__func__', None) or raw.f         # fastcore's @patch(cls_method=True) makes its own kind
        kind = 'staticmethod' if isinstance(raw, staticmethod) else 'classmethod'
        head, opts = f'{fence}{{py:method}} {target}{signature(fn, drop_first=kind == "classmethod")}', [f':{kind}:']
    else:
        fn = raw
        head, opts = f'{fence}{{py:method}} {target}{signature(fn, drop_first=True)}', []
    if not nested: opts.append(f':module: {module}')
    return '\n'.join([head, *opts, '', link_names(docstring(fn), index, files), fence])


# ------------------------------------------------------------------ links in prose
def _link_code(m, index) -> str:
    text = m.group(1)
    key = re.sub(r'\(\)$', '', text.strip())
    full = index.get(key)
    if not full or not re.fullmatch(r'[\w.]+', key): return m.group(0)
    if full.startswith('nb:'): return f'[{m.group(0)}]({full[3:]})'       # a module: its notebook
    return f'{{py:obj}}`{text} <{full}>`'


def _link_notebooks(m, files) -> str:
    word, nums = m.group(1), m.group(2)
    def one(n):
        f = files.get(n.group(0))
        return f'[{n.group(0)}]({f})' if f else n.group(0)
    if word == 'notebook' and NB_NUM.fullmatch(nums.strip()) and nums.strip() in files:
        return f'[notebook {nums.strip()}]({files[nums.strip()]})' if nums[:1].isspace() else m.group(0)
    return word + NB_NUM.sub(one, nums)


def link_names(md: str, index: dict, files: dict | None = None) -> str:
    "Backticked public names -> links to their API entries; 'notebook NN' -> links to that notebook."
    out, last = [], 0
    for m in PROTECT.finditer(md):
        out.append(_link_gap(md[last:m.start()], index, files)); out.append(_local_file(m.group(0))); last = m.end()
    out.append(_link_gap(md[last:], index, files))
    return ''.join(out)


def _local_file(span: str) -> str:
    "A link to a local file that is not a notebook (`../data/LICENSES.md`) becomes a download of that file."
    m = re.fullmatch(r'(\[[^\]]*\]\()([^)#\s]+)(\))', span)
    if not m or re.match(r'^[a-z]+:|^/', m.group(2)) or m.group(2).endswith('.ipynb'): return span
    if (page := re.fullmatch(r'\.\./docs/([\w-]+)\.html', m.group(2))):   # a page of this site: link to it
        return f'{m.group(1)}{page.group(1)}.ipynb{m.group(3)}'
    return f'{m.group(1)}path:{m.group(2)}{m.group(3)}'


def _link_gap(text, index, files):
    pieces, last = [], 0
    for m in INLINE_CODE.finditer(text):
        plain = text[last:m.start()]
        pieces.append(NB_REF.sub(lambda k: _link_notebooks(k, files), plain) if files else plain)
        pieces.append(_link_code(m, index)); last = m.end()
    plain = text[last:]
    pieces.append(NB_REF.sub(lambda k: _link_notebooks(k, files), plain) if files else plain)
    return ''.join(pieces)


# ------------------------------------------------------------------ one notebook
def convert(text: str, docname: str, index: dict, files: dict, toc: list) -> str:
    "The text of an nbdev notebook -> the text of the notebook myst-nb renders."
    nb = nbformat.reads(text, as_version=4)
    module = next((directives(c.source)['default_exp'] for c in nb.cells
                   if c.cell_type == 'code' and 'default_exp' in directives(c.source)), None)
    cells = []
    for c in nb.cells:
        if c.cell_type == 'markdown':
            c.source = link_names(c.source, index, files); cells.append(c); continue
        if c.cell_type != 'code': continue
        d = directives(c.source)
        if 'hide' in d or 'default_exp' in d: continue
        src = strip_directives(c.source)
        if not src or re.fullmatch(r'(show_doc\([\w.]+\)\s*)+', src): continue   # entries are generated below
        c.source = src
        tags = set(c.metadata.get('tags', []))
        if d.get('echo') == 'false': tags.add('remove-input')
        if d.get('output') == 'false' or d.get('eval') == 'false': tags.add('remove-output')
        if tags: c.metadata['tags'] = sorted(tags)
        if 'fig-cap' in d or 'fig-alt' in d:
            md = c.metadata.setdefault('mystnb', {})
            if 'fig-cap' in d: md['figure'] = {'caption': d['fig-cap']}
            if 'fig-alt' in d: md['image'] = {'alt': d['fig-alt']}
        cells.append(c)
        if module and {'export', 'exports'} & d.keys():
            for name in defined_names(src):
                cells.append(nbformat.v4.new_markdown_cell(entry(f'jitsr.{module}', name, index, files)))
    if docname == 'index':
        cells.append(nbformat.v4.new_markdown_cell('```{toctree}\n:hidden:\n:maxdepth: 1\n\n' + '\n'.join(toc) + '\n```'))
    nb.cells = cells
    for i, c in enumerate(nb.cells): c['id'] = f'c{i}'
    return nbformat.writes(nb)


def title(nb_path: Path) -> str:
    "The sidebar's title of a notebook: its number and its H1 without Markdown (`07 · The public API: JiTSR`)."
    nb = nbformat.read(nb_path, as_version=4)
    h1 = next((m.group(1) for c in nb.cells if c.cell_type == 'markdown' and (m := re.search(r'^#\s+(.+)$', c.source, re.M))), nb_path.stem)
    num = re.match(r'\d\d[a-z]?', nb_path.name)
    return (f'{num.group(0)} · ' if num else '') + re.sub(r'[`*]', '', h1).strip()


PATCHED = {}   # module -> {'Class.method': function}: kept here, not in Sphinx's pickled environment


def find_source(app, modname):
    "viewcode's source tags, plus the lines of the `@patch`ed methods (module-level functions to Python's parser)."
    from sphinx.pycode import ModuleAnalyzer
    try: analyzer = ModuleAnalyzer.for_module(modname)
    except Exception: return None
    tags = dict(analyzer.find_tags())
    for name, fn in PATCHED.get(modname, {}).items():
        try: lines, start = inspect.getsourcelines(fn)
        except (OSError, TypeError): continue
        tags[name] = ('def', start, start + len(lines) - 1)
    return analyzer.code, tags


def follow_imported(app, modname, attribute):
    "viewcode finds a property's or a classmethod's module through the object, which has none: it is `modname`."
    return modname if f'{modname}.{attribute}' in DOCUMENTED else None


DOCUMENTED = set()


def setup(app):
    state = {}
    def inited(app):
        src = Path(app.srcdir)
        state['index'], patched = api_index(src)
        PATCHED.clear(); PATCHED.update(patched)
        DOCUMENTED.clear(); DOCUMENTED.update(v for v in state['index'].values() if v and not v.startswith('nb:'))
        nbs = notebooks(src)
        state['files'] = {m.group(0): p.name for p in nbs if (m := re.match(r'\d\d[a-z]?', p.name))}
        state['toc'] = [f'{title(p)} <{p.stem}>' for p in nbs[1:]]
    def read(app, docname, source):
        if app.env.doc2path(docname).suffix == '.ipynb':
            source[0] = convert(source[0], docname, state['index'], state['files'], state['toc'])
    app.connect('builder-inited', inited)
    app.connect('source-read', read)
    app.connect('viewcode-find-source', find_source)
    app.connect('viewcode-follow-imported', follow_imported)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
