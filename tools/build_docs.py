"""Build the documentation site into docs/: the notebooks in nbs/ rendered by Sphinx with myst-nb and the Furo theme.

    pip install -e ".[docs]"
    python tools/build_docs.py              # write docs/ (open docs/index.html)
    python tools/build_docs.py --out DIR    # write DIR instead
    python tools/build_docs.py --check      # build into a temporary folder; exit 1 if docs/ says something else

Offline, from the notebooks' stored outputs (nothing is executed); any Sphinx warning (a broken link or reference,
a bad directive) fails the build. The configuration is docs_src/conf.py; docs_src/nbdev_bridge.py reads nbdev's cell
directives and adds the API reference. Check the result in a browser with `python tools/check_docs.py docs`.
Where Quarto is installed, `nbdev-docs` builds nbdev's own site from the same notebooks (nbs/_quarto.yml)."""
import argparse, re, shutil, subprocess, sys, tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(out: Path) -> int:
    "Run sphinx-build into `out` (replaced); its exit status."
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / 'site'
        cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-q', '-W', '--keep-going', '-j', '1', '-E',
               '-c', str(ROOT / 'docs_src'), '-d', str(Path(tmp) / 'doctrees'), str(ROOT / 'nbs'), str(site)]
        rc = subprocess.run(cmd, cwd=ROOT).returncode
        if rc: return rc
        (site / '.buildinfo').unlink(missing_ok=True)          # a hash of this build's settings, not content
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(site, out)
    return 0


class _Text(HTMLParser):
    "The text of a page's <article> (its content, without the theme around it), and the images it shows."
    def __init__(self):
        super().__init__(); self.depth, self.parts = 0, []
    def handle_starttag(self, tag, attrs):
        if tag == 'article' or self.depth: self.depth += 1
        if self.depth and tag == 'img': self.parts.append(f"[img {dict(attrs).get('src')}]")
    def handle_endtag(self, tag):
        if self.depth: self.depth -= 1
    def handle_data(self, data):
        if self.depth: self.parts.append(data)


def page_text(path: Path) -> str:
    p = _Text(); p.feed(path.read_text(encoding='utf-8'))
    return re.sub(r'\s+', ' ', ' '.join(p.parts)).strip()


def differences(fresh: Path, site: Path) -> list:
    """Pages of `site` whose content differs from a fresh build's, or that one of the two lacks. Only what a page
    says and shows is compared (the text of its article, its images' names), not the theme's markup, so that a newer
    Sphinx or Furo alone does not make the committed site stale."""
    a = {p.relative_to(fresh).as_posix() for p in fresh.rglob('*.html')}
    b = {p.relative_to(site).as_posix() for p in site.rglob('*.html')}
    out = [f'{n} (missing)' for n in sorted(a - b)] + [f'{n} (no longer built)' for n in sorted(b - a)]
    out += [n for n in sorted(a & b) if page_text(fresh / n) != page_text(site / n)]
    images = lambda r: {p.relative_to(r).as_posix() for p in (r / '_images').glob('*')}
    out += [f'{n} (image missing)' for n in sorted(images(fresh) - images(site))]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', type=Path, default=ROOT / 'docs', help='where the site goes (default docs/)')
    ap.add_argument('--check', action='store_true', help='build into a temporary folder and compare with --out')
    a = ap.parse_args()
    if not a.check:
        rc = build(a.out)
        print(f'built {a.out}' if rc == 0 else 'sphinx-build failed', file=sys.stderr if rc else sys.stdout)
        sys.exit(rc)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / 'docs'
        if (rc := build(fresh)): sys.exit(rc)
        diff = differences(fresh, a.out) if a.out.is_dir() else [f'{a.out} does not exist']
        if diff:
            print(f'{a.out} is out of date with nbs/ ({len(diff)} pages differ: {", ".join(diff[:5])}): '
                  'run `python tools/build_docs.py`', file=sys.stderr)
            sys.exit(1)
        print(f'{a.out} matches a fresh build of nbs/')


if __name__ == '__main__':
    main()
