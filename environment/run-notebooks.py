#!/usr/bin/env python3
"""Execute featvis' TypeScript notebooks headless (nbclient + the tslab kernel).

    .venv/bin/python environment/run-notebooks.py            # all notebooks, CI-sized settings
    .venv/bin/python environment/run-notebooks.py --full     # the notebooks' own settings
    .venv/bin/python environment/run-notebooks.py notebooks/02_activation_maximisation.ipynb

- builds dist/ when src/ changed (scripts/build.mjs; the notebooks import the compiled
  engine as `import * as fv from 'featvis'`) and links notebooks/node_modules/featvis;
- registers the tslab kernel into this Python environment if it is missing;
- after Run All, re-runs every notebook the way people tweak one: edits one setting in its
  settings cell (RERUN), re-executes the code cells in the same kernel, and checks that no
  cell fails and that images or charts changed (--no-rerun skips this);
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


# After Run All, each notebook is re-run as people tweak it: one setting of its settings cell
# is edited (the value typed in the cell must win over the FEATVIS_NB_* CI setting), then
# every code cell runs again in the same kernel.
RERUN = {
    "01_deepdream.ipynb": ("layerCount", "2"),
    "02_activation_maximisation.ipynb": ("channels", "'4-5'"),
    "03_regularisations.ipynb": ("tv", "2"),
    "04_top9_exemplars.ipynb": ("sheetChannels", "'8-11'"),
    "05_interpretability.ipynb": ("crop", "true"),
    "06_regularisation_sweeps.ipynb": ("sweepPoints", "2"),
}


def log(msg: str) -> None:
    print(f"[notebooks] {msg}", flush=True)


def build_dist(force: bool) -> None:
    """dist/ (what `import * as fv from 'featvis'` loads) rebuilt only when src/ changed."""
    args = ["node", str(ROOT / "scripts" / "build.mjs")] + (["--force"] if force else [])
    r = subprocess.run(args, cwd=ROOT)
    if r.returncode != 0:
        sys.exit("[notebooks] building dist/ failed (see above)")


def link_package() -> None:
    """notebooks/node_modules/featvis → the repository: tslab's type checker resolves
    `import * as fv from 'featvis'` through it (Node's self-reference does at run time)."""
    link = NOTEBOOKS / "node_modules" / "featvis"
    if link.is_symlink() and os.readlink(link) == "../..":
        return
    link.parent.mkdir(exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(Path("..") / "..")


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
    stray: list[str] = []
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
            if out.output_type == "execute_result":
                stray.append(f"cell {i}: a value {str(out.get('data', {}).get('text/plain', ''))[:80]!r}")
            elif out.output_type == "stream" and out.get("name") == "stderr":
                stderr_chars += len(out.get("text", ""))
                stray.append(f"cell {i}: stderr {out.get('text', '')[:80]!r}")
            elif out.output_type == "error":
                counts["error"] = counts.get("error", 0) + 1
    return {
        "cells": sum(1 for c in nb.cells if c.cell_type == "code"),
        "outputs": counts,
        "notes": notes,
        "stderrChars": stderr_chars,
        # what a cell printed that no display helper meant to show (return values, stderr)
        "strayOutputs": stray,
        "slowestCell": {"index": slowest[1], "seconds": round(slowest[0], 1)},
    }


def code_outputs(nb) -> list[str]:
    """Per code cell, its images and charts (what a re-run must change)."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            for mime in ("image/png", PLOTLY_MIME):
                if mime in data:
                    parts.append(json.dumps(data[mime], sort_keys=True))
        out.append("\n".join(parts))
    return out


def edit_setting(source: str, name: str, value: str) -> str:
    """The settings cell with `name: <value>` replaced (the first occurrence)."""
    import re

    pattern = re.compile(r"(\b" + re.escape(name) + r":\s*)([^,\n]+?)(\s*,)")
    new, n = pattern.subn(lambda m: m.group(1) + value + m.group(3), source, count=1)
    if n != 1:
        raise RuntimeError(f"the settings cell has no '{name}: …,' to edit")
    return new


def rerun(client, nb, name: str) -> dict:
    """Edits one setting and re-executes every code cell in the running kernel."""
    setting, value = RERUN[name]
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    before = code_outputs(nb)
    first = code[0][1]
    first.source = edit_setting(first.source, setting, value)
    t = time.time()
    error = None
    try:
        for i, cell in code:
            client.execute_cell(cell, i, execution_count=client.code_cells_executed + 1)
    except Exception as e:  # CellExecutionError, timeout, kernel death
        error = f"{type(e).__name__}: {e}"
    after = code_outputs(nb)
    changed = [k for k, (a, b) in enumerate(zip(before, after)) if a != b and b]
    import re

    table = "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in first.get("outputs", []))
    from_cell = re.search(r"^\s*" + re.escape(setting) + r"\s.*\scell(\s|$)", table, re.M) is not None
    return {
        "setting": f"{setting}: {value}",
        "seconds": round(time.time() - t, 1),
        "error": error,
        "changedCells": changed,
        "settingFromCell": from_cell,
        "ok": error is None and len(changed) > 0 and from_cell,
    }


def run_one(path: Path, out_dir: Path, timeout: int, do_rerun: bool) -> dict:
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
    rerun_result = None
    try:
        with client.setup_kernel():
            # what NotebookClient.execute() does, with the kernel kept for the re-run
            info = client.wait_for_reply(client.kc.kernel_info())
            nb.metadata["language_info"] = info["content"]["language_info"]
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            seconds = time.time() - t
            if do_rerun and path.name in RERUN:
                rerun_result = rerun(client, nb, path.name)
    except CellExecutionError as e:
        error = str(e)
    except Exception as e:  # kernel died, timeout, …
        error = f"{type(e).__name__}: {e}"
    if error is not None:
        seconds = time.time() - t
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    nbformat.write(nb, executed)
    result = {"notebook": path.name, "executed": str(executed), "seconds": round(seconds, 1), "ok": error is None, "error": error}
    if rerun_result is not None:
        result["rerun"] = rerun_result
        if not rerun_result["ok"]:
            result["ok"] = False
            result["error"] = f"re-run after editing {rerun_result['setting']}: " + (rerun_result["error"] or f"changed cells {rerun_result['changedCells']}, setting from the cell: {rerun_result['settingFromCell']}")
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
    ap.add_argument("--no-rerun", action="store_true", help="do not re-run each notebook after editing a setting")
    args = ap.parse_args()

    paths = [Path(p).resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        sys.exit("[notebooks] no notebooks found")
    out_dir = Path(args.out).resolve()
    if not args.no_build:
        build_dist(args.rebuild)
    link_package()
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
        r = run_one(p, out_dir, args.timeout, not args.no_rerun)
        results.append(r)
        outs = ", ".join(f"{k} ×{v}" for k, v in sorted(r["outputs"].items()))
        log(f"{p.name}: {'ok' if r['ok'] else 'FAILED'} in {r['seconds']} s (slowest cell #{r['slowestCell']['index']}: {r['slowestCell']['seconds']} s); outputs: {outs or 'none'}")
        if "rerun" in r:
            rr = r["rerun"]
            log(f"  re-run after editing {rr['setting']}: {'ok' if rr['ok'] else 'FAILED'} in {rr['seconds']} s; images/charts changed in code cells {rr['changedCells']}")
        for s in r["strayOutputs"]:
            log(f"  stray output: {s}")
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
