"""Sphinx configuration of jitsr's documentation site: the notebooks in nbs/ rendered by myst-nb (outputs as
stored, nothing executed), Furo's theme, MathJax served from _static (no network), the API reference added by
nbdev_bridge. Build: `python tools/build_docs.py` (sphinx-build -c docs_src nbs docs)."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]    # nbdev_bridge, and the jitsr package of this checkout

project = 'jitsr'
author = 'jitsr developers'
copyright = '2026, jitsr developers'
from jitsr import __version__ as release

extensions = ['myst_nb', 'sphinx.ext.mathjax', 'sphinx.ext.viewcode', 'sphinx.ext.githubpages', 'sphinx_copybutton',
              'nbdev_bridge']   # githubpages: a .nojekyll file, so that GitHub Pages serves _static/ and _images/
root_doc = 'index'
exclude_patterns = ['_*', '.*', 'fixtures', '**/.ipynb_checkpoints']
suppress_warnings = ['myst.header']             # a notebook's title is its only H1; sections start at H2

# notebooks as they are stored: their outputs are the ones the tests produced
nb_execution_mode = 'off'
nb_merge_streams = True
nb_render_markdown_format = 'myst'              # Markdown outputs (tables) rendered like the notebooks' prose
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence', 'attrs_inline']
myst_heading_anchors = 3                        # [text](07_core.ipynb#a-section) works as on GitHub
myst_dmath_double_inline = True

# formulas: MathJax 3 from _static (tools/vendor_mathjax.sh), no CDN
mathjax_path = 'mathjax/tex-chtml.js'
mathjax3_config = {'tex': {'inlineMath': [['\\(', '\\)']], 'displayMath': [['\\[', '\\]']]},
                   'options': {'enableMenu': False}}

html_theme = 'furo'
html_title = 'jitsr'
html_static_path = ['_static']
html_css_files = ['jitsr.css']
html_js_files = ['jitsr.js']
html_copy_source = False
html_show_sourcelink = False
html_theme_options = {'navigation_with_keys': True}
copybutton_exclude = '.linenos, .gp, .go'
toc_object_entries = False                      # a page's contents list its sections, not every API entry
