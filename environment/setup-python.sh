#!/usr/bin/env bash
# Creates .venv, the Python side of featvis, in two sets:
#   notebooks  JupyterLab, nbclient, the notebook tools (requirements-notebooks.txt): what
#              `npm run notebook` needs;
#   reference  TensorFlow/TFLite, Keras, PyTorch (requirements-reference.txt): the reference
#              implementations the tests compare against (2.7 GB), never used by featvis itself.
#   bash environment/setup-python.sh [notebooks|reference|all]     (default: all)
# Each set is installed once (a stamp per set and requirements file). Offline machines with a
# local pip mirror: the mirror's folders are passed on the command line, so pip never waits on
# the internet, and pip's "Location … is ignored" lines (one per package an extra index lacks)
# are filtered out.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FEATVIS_VENV:-.venv}
what=${1:-all}
case "$what" in
  notebooks) sets=(notebooks) ;;
  reference) sets=(reference) ;;
  all) sets=(notebooks reference) ;;
  *) echo "usage: $0 [notebooks|reference|all]" >&2; exit 2 ;;
esac
say() { echo "[featvis setup] $*"; }

todo=()
for s in "${sets[@]}"; do
  req=environment/requirements-$s.txt
  stamp="$VENV/.featvis-$s-$(sha1sum "$req" | cut -c1-12)"
  if [ -f "$stamp" ]; then say "$VENV: $s set up to date"; else todo+=("$s"); fi
done
[ ${#todo[@]} -eq 0 ] && exit 0

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
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
for s in "${todo[@]}"; do
  req=environment/requirements-$s.txt
  stamp="$VENV/.featvis-$s-$(sha1sum "$req" | cut -c1-12)"
  t0=$SECONDS
  say "installing the $s set into $VENV ($req)"
  # pipefail keeps pip's exit status; the filter itself never fails
  { "${PIP[@]}" -r "$req" 2>&1; } | { grep -v -E "^(WARNING: )?Location '[^']*' is ignored: " || true; }
  rm -f "$VENV"/.featvis-"$s"-*
  touch "$stamp"
  say "$s set ready in $((SECONDS - t0)) s"
done
