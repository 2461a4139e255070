#!/usr/bin/env bash
# Sets up featvis' TypeScript notebooks (notebooks/*.ipynb, tslab kernel):
#   1. the Python venv with JupyterLab, nbclient, nbformat (environment/setup-python.sh:
#      offline through the local pip mirror when there is one, plain pip elsewhere);
#   2. the tslab TypeScript kernel registered INTO that venv (--sys-prefix), so the
#      venv's `jupyter lab` and nbclient find it and nothing is written to ~/.local;
#   3. dist/ built with tsc (the notebooks import the compiled engine from ../dist/src).
# Idempotent; rerun after `npm install` or after moving the repository.
#
#   bash environment/setup-notebooks.sh
#   .venv/bin/jupyter lab --notebook-dir=notebooks           # use them
#   .venv/bin/python environment/run-notebooks.py            # run them headless (CI settings)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FEATVIS_VENV:-.venv}
say() { echo "[featvis notebooks] $*"; }

bash environment/setup-python.sh
# The venv lies inside this "type": "module" package: without its own package.json, Node
# would load the CommonJS .js files Jupyter ships (jupyter_builder's yarn.js) as ES modules
# and JupyterLab's start-up build check fails ("Dynamic require of \"util\" is not supported").
[ -f "$VENV/package.json" ] || echo '{ "type": "commonjs" }' > "$VENV/package.json"

TSLAB="$PWD/node_modules/.bin/tslab"
if [ ! -x "$TSLAB" ]; then
  say "node_modules/.bin/tslab not found: run 'npm install' first"
  exit 1
fi
if ! "$VENV/bin/python" -c 'import jupyter_client, nbclient, nbformat' 2>/dev/null; then
  say "JupyterLab / nbclient are missing from $VENV (see environment/requirements-python.txt)"
  exit 1
fi
# Registers the 'tslab' (TypeScript) and 'jslab' (JavaScript) kernels in $VENV/share/jupyter/kernels.
# --binary is absolute so Jupyter finds the kernel without node_modules/.bin on PATH
# (node itself must be on PATH: tslab starts with '#!/usr/bin/env node').
"$TSLAB" install --python="$VENV/bin/python" --sys-prefix --binary="$TSLAB" >/dev/null
if ! "$VENV/bin/jupyter" kernelspec list 2>/dev/null | grep -q '^ *tslab '; then
  say "the tslab kernel did not register (jupyter kernelspec list)"
  exit 1
fi
say "tslab kernel: $("$VENV/bin/jupyter" kernelspec list 2>/dev/null | awk '$1 == "tslab" { print $2 }')"

# Interactive charts: JupyterLab draws application/vnd.plotly.v1+json with the
# jupyterlab-plotly renderer, which the 'plotly' Python package ships. Without it the
# notebooks' charts show as static SVG (every chart carries both).
if "$VENV/bin/jupyter" labextension list 2>&1 | grep -q 'jupyterlab-plotly'; then
  say "Plotly renderer: installed"
else
  say "Plotly renderer not installed: charts will show as static SVG ('$VENV/bin/pip install plotly' for interactive ones)"
fi

say "building dist/ (tsc -p tsconfig.json)"
if ! node_modules/.bin/tsc -p tsconfig.json; then
  [ -f dist/src/notebook/index.js ] || { say "tsc failed and emitted nothing"; exit 1; }
  say "warning: tsc reported type errors; dist/ was emitted anyway"
fi
# src/models/zoo.ts finds data/ two folders above its own file: from dist/src/models that is dist/data.
[ -e dist/data ] || ln -s ../data dist/data
say "ready: $VENV/bin/jupyter lab --notebook-dir=notebooks"
