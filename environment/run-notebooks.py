#!/usr/bin/env python3
"""Execute featvis' TypeScript notebooks headless (nbclient + the tslab kernel).

    .venv/bin/python environment/run-notebooks.py            # all notebooks, CI-sized settings
    .venv/bin/python environment/run-notebooks.py --full     # the notebooks' own settings
    .venv/bin/python environment/run-notebooks.py notebooks/02_activation_maximisation.ipynb

- builds dist/ with tsc when src/ is newer (the notebooks import ../dist/src/…);
- registers the tslab kernel into this Python environment if it is missing;
- CI-sized settings (default): small FEATVIS_NB_* values for whatever the
  environment does not set already, FEATVIS_OFFLINE=1 (no downloads; set
  FEATVIS_NB_ONLINE=1 to allow them) and FEATVIS_NOTEBOOK_MODEL = the shared
  MobileNetV2 .tflite when it exists;
- writes executed copies to notebooks/executed/ (gitignored), outputs of the
  runs to notebooks/executed/runs/ (fresh each time), and summary.json;
- exits 1 if any cell of any notebook fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PLOTLY_MIME = "application/vnd.plotly.v1+json"

# Small settings for CI (2 CPU cores, whole set of notebooks < 5 min). Only
# applied where the environment does not set the variable already.
CI_SETTINGS = {
    "FEATVIS_NB_STEPS": "24",
    "FEATVIS_NB_SIZE": "64",
    "FEATVIS_NB_CHANNELS": "0-3",
    "FEATVIS_NB_BATCH": "8",
    # 01 DeepDream
    "FEATVIS_NB_DREAM_SIZE": "128",
    "FEATVIS_NB_OCTAVES": "2",
    "FEATVIS_NB_DREAM_STEPS": "4",
    "FEATVIS_NB_LAYER_COUNT": "3",
    # 04/05/06 exemplars: 60 images spread over the 10 classes
    "FEATVIS_NB_IMAGE_LIMIT": "60",
    "FEATVIS_NB_SHEET_CHANNELS": "0-7",
    # 05/06 scoring: two channels, two seeds (one AM image and one random draw each)
    "FEATVIS_NB_SCORE_CHANNELS": "0-1",
    "FEATVIS_NB_SEEDS": "0,1",
    "FEATVIS_NB_SCORE_SIZE": "64",
    # 03 regularisations: fewer variants
    "FEATVIS_NB_VARIANTS": "none,l1,tv,freq,pixel,decay,blur",
    # 06 sweeps: two regularisers, strength 0 (baseline) and two more each
    "FEATVIS_NB_SWEEP": "tv,blur",
    "FEATVIS_NB_SWEEP_POINTS": "3",
}


def log(msg: str) -> None:
    print(f"[notebooks] {msg}", flush=True)


def newest_mtime(folder: Path, suffix: str) -> float:
    return max((p.stat().st_mtime for p in folder.rglob(f"*{suffix}")), default=0.0)


def link_data() -> None:
    """dist/data → ../data: src/models/zoo.ts finds data/ relative to its own file
    (two folders up), which from dist/src/models is dist/data."""
    link = ROOT / "dist" / "data"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(Path("..") / "data")


def build_dist(force: bool) -> None:
    """tsc → dist/ (the notebooks import ../dist/src/…) unless dist is newer than src."""
    marker = ROOT / "dist" / "src" / "notebook" / "index.js"
    if not force and marker.exists():
        built = min(p.stat().st_mtime for p in (ROOT / "dist" / "src").rglob("*.js"))
        if built >= newest_mtime(ROOT / "src", ".ts"):
            log("dist/ is up to date")
            link_data()
            return
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        sys.exit("[notebooks] node_modules/.bin/tsc not found: run `npm install` first")
    log("building dist/ (tsc -p tsconfig.json) …")
    t = time.time()
    r = subprocess.run([str(tsc), "-p", "tsconfig.json"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        # tsc still emits on type errors; `npm run typecheck` is the gate for those.
        print(r.stdout[-4000:], r.stderr[-2000:], sep="\n")
        if not marker.exists():
            sys.exit("[notebooks] tsc failed and dist/src/notebook/index.js was not emitted")
        log("warning: tsc reported type errors (see above); running the emitted JavaScript anyway")
    link_data()
    log(f"built dist/ in {time.time() - t:.1f} s")


def ensure_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    if "tslab" in KernelSpecManager().find_kernel_specs():
        return
    tslab = ROOT / "node_modules" / ".bin" / "tslab"
    if not tslab.exists():
        sys.exit("[notebooks] node_modules/.bin/tslab not found: run `npm install` first")
    log(f"registering the tslab kernel into {sys.prefix}")
    subprocess.run(
        [str(tslab), "install", f"--python={sys.executable}", "--sys-prefix", f"--binary={tslab}"],
        cwd=ROOT,
        check=True,
    )


def apply_ci_settings() -> dict[str, str]:
    applied = {}
    for k, v in CI_SETTINGS.items():
        if os.environ.get(k, "") == "":
            os.environ[k] = v
            applied[k] = v
    if not os.environ.get("FEATVIS_NB_ONLINE") and "FEATVIS_OFFLINE" not in os.environ:
        os.environ["FEATVIS_OFFLINE"] = "1"
        applied["FEATVIS_OFFLINE"] = "1"
    shared = Path(os.environ.get("FEATVIS_SHARED", ROOT.parent / "shared"))
    tflite = shared / "models" / "coral_mobilenet_v2_1.0_224_quant" / "mobilenet_v2_1.0_224_quant.tflite"
    if not os.environ.get("FEATVIS_NOTEBOOK_MODEL") and tflite.exists():
        os.environ["FEATVIS_NOTEBOOK_MODEL"] = str(tflite)
        applied["FEATVIS_NOTEBOOK_MODEL"] = str(tflite)
    return applied


def summarize(nb) -> dict:
    counts: dict[str, int] = {}
    notes: list[str] = []
    stderr_chars = 0
    slowest = (0.0, -1)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ex = cell.get("metadata", {}).get("execution", {})
        start, end = ex.get("iopub.status.busy"), ex.get("iopub.status.idle")
        if start and end:
            from datetime import datetime

            dt = (datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            slowest = max(slowest, (dt, i))
        for out in cell.get("outputs", []):
            if out.output_type in ("display_data", "execute_result"):
                for mime in out.get("data", {}):
                    counts[mime] = counts.get(mime, 0) + 1
                md = out.get("data", {}).get("text/markdown", "")
                if isinstance(md, str) and md.startswith("> **Note.**"):
                    notes.append(out["data"].get("text/plain", md)[:300])
            elif out.output_type == "stream" and out.get("name") == "stderr":
                stderr_chars += len(out.get("text", ""))
            elif out.output_type == "error":
                counts["error"] = counts.get("error", 0) + 1
    return {
        "cells": sum(1 for c in nb.cells if c.cell_type == "code"),
        "outputs": counts,
        "notes": notes,
        "stderrChars": stderr_chars,
        "slowestCell": {"index": slowest[1], "seconds": round(slowest[0], 1)},
    }


def run_one(path: Path, out_dir: Path, timeout: int) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="tslab",
        timeout=timeout,
        startup_timeout=180,
        record_timing=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    t = time.time()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        error = str(e)
    except Exception as e:  # kernel died, timeout, …
        error = f"{type(e).__name__}: {e}"
    seconds = time.time() - t
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    nbformat.write(nb, executed)
    result = {"notebook": path.name, "executed": str(executed), "seconds": round(seconds, 1), "ok": error is None, "error": error}
    result.update(summarize(nb))
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    ap.add_argument("--full", action="store_true", help="use the notebooks' own settings (no CI-sized overrides)")
    ap.add_argument("--no-build", action="store_true", help="do not rebuild dist/")
    ap.add_argument("--rebuild", action="store_true", help="always rebuild dist/")
    ap.add_argument("--out", default=str(NOTEBOOKS / "executed"), help="folder for executed notebooks (default notebooks/executed)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = ap.parse_args()

    paths = [Path(p).resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        sys.exit("[notebooks] no notebooks found")
    out_dir = Path(args.out).resolve()
    if not args.no_build:
        build_dist(args.rebuild)
    ensure_kernel()
    if not args.full:
        for k, v in apply_ci_settings().items():
            log(f"CI setting {k}={v}")
    runs = out_dir / "runs"
    if os.environ.get("FEATVIS_NB_OUT", "") == "":
        shutil.rmtree(runs, ignore_errors=True)
        os.environ["FEATVIS_NB_OUT"] = str(runs)

    results = []
    total = time.time()
    for p in paths:
        log(f"running {p.name} …")
        r = run_one(p, out_dir, args.timeout)
        results.append(r)
        outs = ", ".join(f"{k} ×{v}" for k, v in sorted(r["outputs"].items()))
        log(f"{p.name}: {'ok' if r['ok'] else 'FAILED'} in {r['seconds']} s (slowest cell #{r['slowestCell']['index']}: {r['slowestCell']['seconds']} s); outputs: {outs or 'none'}")
        for n in r["notes"]:
            log(f"  note: {n[:160]}…")
        if r["error"]:
            print(r["error"][-3000:], file=sys.stderr)
    summary = {"seconds": round(time.time() - total, 1), "ci": not args.full, "notebooks": results}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    failed = [r["notebook"] for r in results if not r["ok"]]
    log(f"{len(results) - len(failed)}/{len(results)} notebooks ok in {summary['seconds']} s; summary: {out_dir / 'summary.json'}")
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
