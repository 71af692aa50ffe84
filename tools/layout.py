"""The package's layout, checked: imports that run one way, small modules and functions, methods where readers find them.

    python tools/layout.py          # the table (module, notebook, lines, what it imports), then every violation; exit 1 if any

`LAYERS` lists the modules from the bottom floor up. A module may import (at module level or inside a function) only
modules below it, and only modules taught in the same or an earlier notebook, so the notebooks read in order. Each
module has at most `MAX_MODULE_LINES` lines, each function at most `MAX_FUNCTION_LINES`, and no method is attached to a
class by assignment (`Class.name = fn`): nbdev's idiom for a method defined in a later cell is fastcore's `@patch`.
Notebook 09 runs `check()` as a test.
"""
from __future__ import annotations
import ast, re, sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / 'jitsr'
LAYERS = ('images', 'data', 'progress', 'metrics', 'diffusion', 'jit', 'tiling', 'baselines', 'checkpoint', 'config',
          'distributed', 'training', 'conditioning', 'core', 'models', 'presets', 'analysis', 'report', 'reproduce', 'cli')
TORCH_FREE = ('config', 'cli')      # imported by the console scripts before `--help` is answered
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def modules() -> dict:
    "`{module: source}` of every exported module of the package (nbdev's `_modidx` and `__init__` aside)."
    return {f.stem: f.read_text() for f in sorted(PKG.glob('*.py')) if not f.stem.startswith('_')}


def notebook(source: str) -> str | None:
    "The number of the notebook a module is exported from, e.g. `'04a'` (nbdev's `File to edit: ../nbs/04a_name.ipynb` line); numbers sort in reading order."
    m = re.search(r"File to edit: \.\./nbs/(\d+[a-z]?)_", source)
    return m.group(1) if m else None


def imports(source: str) -> list:
    "`(jitsr module, line, 'top' or the enclosing function)` for every import of a package module in `source`."
    found = []
    def visit(node, where):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
            targets = []
            if isinstance(child, ast.ImportFrom):
                base = child.module or ''
                if child.level == 1: targets = [base] if base else [a.name for a in child.names]
                elif base.startswith('jitsr.'): targets = [base.split('.')[1]]
                elif base == 'jitsr': targets = [a.name for a in child.names]
            elif isinstance(child, ast.Import):
                targets = [a.name.split('.')[1] for a in child.names if a.name.startswith('jitsr.')]
            found.extend((t.split('.')[0], child.lineno, where) for t in targets)
            visit(child, inner)
    visit(ast.parse(source), 'top')
    return found


def top_level_imports(source: str) -> set:
    "Top-level names of the packages `source` imports at module level (not inside functions)."
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import): names |= {a.name.split('.')[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0: names.add((node.module or '').split('.')[0])
    return names


def long_functions(source: str) -> list:
    "`(qualified name, lines)` of every function or method longer than `MAX_FUNCTION_LINES` (decorators excluded)."
    out = []
    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef) and child.end_lineno - child.lineno + 1 > MAX_FUNCTION_LINES:
                    out.append((name, child.end_lineno - child.lineno + 1))
                visit(child, name + '.')
    visit(ast.parse(source), '')
    return out


def assigned_methods(source: str) -> list:
    "`Class.attr` targets of module-level assignments to a class of the module (`JiTSR.sample = _sample`), and `setattr(Class, ...)`."
    tree = ast.parse(source)
    classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    out = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        out += [f"{t.value.id}.{t.attr}" for t in targets
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in classes]
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and getattr(node.value.func, 'id', None) == 'setattr':
            arg = node.value.args[0] if node.value.args else None
            if isinstance(arg, ast.Name) and arg.id in classes: out.append(f"setattr({arg.id}, ...)")
    return out


def problems(mods: dict | None = None) -> list:
    "Every violation of the layout, as readable lines (empty: the layout holds)."
    mods, out = mods if mods is not None else modules(), []
    out += [f"{m}: not in LAYERS (add it at its floor)" for m in mods if m not in LAYERS]
    out += [f"{m}: in LAYERS but not in the package" for m in LAYERS if m not in mods]
    level = {m: i for i, m in enumerate(LAYERS)}
    for m, src in mods.items():
        if m not in level: continue
        for t, line, where in imports(src):
            if t == m or t not in mods: continue
            at = f"jitsr/{m}.py:{line}{'' if where == 'top' else f', inside {where}()'}"
            if level.get(t, -1) > level[m]: out.append(f"{m} imports {t}, a higher floor ({at})")
            nb_m, nb_t = notebook(src), notebook(mods[t])
            if None not in (nb_m, nb_t) and nb_t > nb_m:
                out.append(f"{m} (notebook {nb_m}) imports {t}, taught later in notebook {nb_t} ({at})")
        if (n := src.count('\n')) > MAX_MODULE_LINES: out.append(f"{m}: {n} lines (at most {MAX_MODULE_LINES})")
        out += [f"{m}.{f}: {n} lines (at most {MAX_FUNCTION_LINES})" for f, n in long_functions(src)]
        out += [f"{m}: method attached by assignment: {a}" for a in assigned_methods(src)]
        if m in TORCH_FREE and (heavy := top_level_imports(src) & {'torch', 'numpy', 'PIL'}):
            out.append(f"{m}: imports {', '.join(sorted(heavy))} at module level, but must load without them")
    return out


def table(mods: dict | None = None) -> str:
    "One line per module, bottom floor first: notebook, lines, and the package modules it imports."
    mods = mods if mods is not None else modules()
    lines = []
    for m in sorted(mods, key=lambda m: LAYERS.index(m) if m in LAYERS else len(LAYERS)):
        deps = sorted({t for t, _, _ in imports(mods[m]) if t in mods and t != m}, key=lambda t: LAYERS.index(t) if t in LAYERS else 99)
        nb = notebook(mods[m])
        lines.append(f"{nb or '??':3s} {m:13s} {mods[m].count(chr(10)):4d} lines  -> {', '.join(deps) or '-'}")
    return '\n'.join(lines)


def check():
    "Raise `AssertionError` listing every violation of the layout."
    if found := problems(): raise AssertionError(f"{len(found)} layout problem(s):\n" + '\n'.join(found))


if __name__ == '__main__':
    print(table())
    found = problems()
    print(f"\n{len(found)} problem(s)" + (':' if found else ''))
    for p in found: print('  ' + p)
    sys.exit(1 if found else 0)
