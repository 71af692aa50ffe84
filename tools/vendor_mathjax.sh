#!/usr/bin/env bash
# Refresh the MathJax files the documentation site serves (docs_src/_static/mathjax) from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-3.2.2}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack -q "mathjax@$VERSION" >/dev/null && tar xzf "mathjax-$VERSION.tgz")
dst=docs_src/_static/mathjax
rm -rf "$dst"; mkdir -p "$dst/output/chtml/fonts"
cp "$tmp/package/es5/tex-chtml.js" "$tmp/package/LICENSE" "$dst/"
cp -r "$tmp/package/es5/output/chtml/fonts/woff-v2" "$dst/output/chtml/fonts/"
printf 'MathJax %s (Apache-2.0), from the npm package `mathjax@%s`: es5/tex-chtml.js and es5/output/chtml/fonts/woff-v2/.\nVendored so that the documentation renders formulas offline. Refresh with tools/vendor_mathjax.sh.\n' "$VERSION" "$VERSION" > "$dst/README.md"
echo "MathJax $VERSION -> $dst"
