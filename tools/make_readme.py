"""Write README.md from nbs/index.ipynb without Quarto (`--check`: exit 1 if README.md differs).

Markdown cells are copied; code cells become ```python blocks followed by their text output (Markdown outputs,
such as tables, as Markdown); cells marked
`#| hide` are dropped, `#| echo: false` cells show only their output, and other `#|` directive lines are removed. Links to notebooks are left relative."""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path=root / 'nbs' / 'index.ipynb') -> str:
    cells, parts = json.loads(Path(nb_path).read_text())['cells'], []
    for c in cells:
        src = ''.join(c['source'])
        lines = src.splitlines()
        if any(l.strip().replace(' ', '') == '#|hide' for l in lines): continue
        body = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip('\n')
        if c['cell_type'] == 'markdown':
            parts.append(re.sub(r'\]\((\d+[a-z]?_[\w-]+\.ipynb)', r'](nbs/\1', body).replace('](../', ']('))  # links work from the repository root
        elif c['cell_type'] == 'code' and body:
            if not any(l.strip().replace(' ', '') == '#|echo:false' for l in lines): parts.append(f"```python\n{body}\n```")
            text = ''
            for o in c.get('outputs', []):
                data = o.get('data', {})
                if 'text/markdown' in data:         # a table displayed as Markdown goes in as Markdown
                    if text.strip(): parts.append(f"```\n{text.strip()}\n```")
                    parts.append(''.join(data['text/markdown']).strip()); text = ''
                else: text += ''.join(o.get('text', '')) if o['output_type'] == 'stream' else ''.join(data.get('text/plain', ''))
            if text.strip(): parts.append(f"```\n{text.strip()}\n```")
    header = '<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n'
    return header + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    if {'-h', '--help'} & set(sys.argv[1:]): sys.exit(print(__doc__) or 0)
    text, readme = render(), root / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit("README.md is out of date with nbs/index.ipynb: run `python tools/make_readme.py`")
        print("README.md matches nbs/index.ipynb")
    else:
        readme.write_text(text); print(f"wrote {readme}")
