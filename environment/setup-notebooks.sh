#!/usr/bin/env bash
# Sets up featvis' TypeScript notebooks (notebooks/*.ipynb, tslab kernel):
#   1. the Python venv's notebook set: JupyterLab, nbclient, nbformat, plotly
#      (environment/setup-python.sh notebooks; the tests' reference libraries are not needed);
#   2. the tslab TypeScript kernel registered INTO that venv (--sys-prefix), so the venv's
#      `jupyter lab` and nbclient find it and nothing is written to ~/.local;
#   3. notebooks/node_modules/featvis → the repository, so the notebooks' `import * as fv from
#      'featvis'` resolves for tslab's type checker too (it resolves bare names the Node10 way,
#      which ignores package.json "exports"; at run time Node's self-reference finds the same file);
#   4. dist/ built with tsc when src/ changed since the last build (scripts/build.mjs).
# Idempotent and quick when nothing changed; rerun after `npm install` or after moving the repository.
#
#   bash environment/setup-notebooks.sh
#   .venv/bin/jupyter lab --notebook-dir=notebooks           # use them (what `npm run notebook` does)
#   .venv/bin/python environment/run-notebooks.py            # run them headless (CI settings)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FEATVIS_VENV:-.venv}
say() { echo "[featvis notebooks] $*"; }

bash environment/setup-python.sh notebooks
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
  say "JupyterLab / nbclient are missing from $VENV (see environment/requirements-notebooks.txt)"
  exit 1
fi
# Registers the 'tslab' (TypeScript) and 'jslab' (JavaScript) kernels in $VENV/share/jupyter/kernels.
# --binary is absolute so Jupyter finds the kernel without node_modules/.bin on PATH
# (node itself must be on PATH: tslab starts with '#!/usr/bin/env node').
spec="$VENV/share/jupyter/kernels/tslab/kernel.json"
registered() { [ -f "$spec" ] && [ "$(readlink -f "$("$VENV/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["argv"][0])' "$spec")")" = "$(readlink -f "$TSLAB")" ]; }
if ! registered; then
  "$TSLAB" install --python="$VENV/bin/python" --sys-prefix --binary="$TSLAB" >/dev/null
  registered || { say "the tslab kernel did not register ($spec)"; exit 1; }
fi
say "tslab kernel: $(dirname "$spec")"

# One import for the notebooks: `import * as fv from 'featvis'`.
mkdir -p notebooks/node_modules
[ "$(readlink notebooks/node_modules/featvis 2>/dev/null)" = "../.." ] || ln -sfn ../.. notebooks/node_modules/featvis

# Interactive charts: JupyterLab draws application/vnd.plotly.v1+json with the
# jupyterlab-plotly renderer, which the 'plotly' Python package ships. Without it the
# notebooks' charts show as static SVG (every chart carries both).
if [ -d "$VENV/share/jupyter/labextensions/jupyterlab-plotly" ]; then
  say "Plotly renderer: installed"
else
  say "Plotly renderer not installed: charts will show as static SVG ('$VENV/bin/pip install plotly' for interactive ones)"
fi

node scripts/build.mjs
say "ready: $VENV/bin/jupyter lab --notebook-dir=notebooks"
