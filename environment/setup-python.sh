#!/usr/bin/env bash
# Creates .venv: the Python side of featvis's tests and notebooks.
#  - reference implementations the tests compare against (TensorFlow/TFLite,
#    Keras, PyTorch), never used by featvis itself at run time;
#  - JupyterLab + nbclient for the tslab notebooks.
# Offline machines with a pip mirror: pip's own config is used, and local
# mirror folders are passed with --no-index so pip never waits on the internet.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FEATVIS_VENV:-.venv}
REQ=environment/requirements-python.txt
stamp="$VENV/.featvis-$(sha1sum "$REQ" | cut -c1-12)"
if [ -f "$stamp" ]; then echo "[featvis setup] $VENV is up to date"; exit 0; fi
python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
links=()
while IFS= read -r line; do
  val=${line#*=}; val=${val#\'}; val=${val%\'}
  for item in $val; do
    p=${item#file://}
    if [ "$p" != "$item" ] && [ -d "$p" ]; then
      links+=(--extra-index-url "$item")
    elif [ -d "$p" ]; then links+=(--find-links "$p"); fi
  done
done < <(python3 -m pip config list 2>/dev/null | grep -E "(index-url|find-links)=" || true)
if [ ${#links[@]} -gt 0 ] && [ -z "${FEATVIS_PIP_ONLINE:-}" ]; then
  # local mirrors only: --index-url to the first file:// index avoids pypi.org timeouts
  idx=""; rest=()
  for ((i=0; i<${#links[@]}; i+=2)); do
    if [ "${links[i]}" = "--extra-index-url" ] && [ -z "$idx" ]; then idx=${links[i+1]}; else rest+=("${links[i]}" "${links[i+1]}"); fi
  done
  if [ -n "$idx" ]; then PIP+=(--index-url "$idx" "${rest[@]}"); else PIP+=(--no-index "${rest[@]}"); fi
fi
echo "[featvis setup] installing Python reference + notebook tools into $VENV"
"${PIP[@]}" -r "$REQ"
touch "$stamp"
echo "[featvis setup] $VENV ready"
