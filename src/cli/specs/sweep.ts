/** `featvis sweep`: options and help (no TensorFlow here; the code is ../sweep.ts). */
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'sweep',
  summary: 'regulariser × strength × channel × seed from a config file, scored, resumable, with a report',
  usage: '<config.json> [--out <dir>]',
  description: `Config (JSON): {"model", "layer", "channels": [..], "seeds": [0, 1, 2], "steps": 128, "size": 128, "param": "pixel",
  "sweep": {"tv": [0, 0.5, 1, 2, 4], "l2": [...], "blur": [sigmas], "jitter": [pixels], ...},
  "exemplars": {"images": "<folder>", "limit": 2000, "k": 9, "heldOut": 9},
  "randomImages": 9,
  "metric": "auto" | {"kind": "lpips", "net": "alex"} | {"kind": "backbone", "backbone": "squeezenet"}
            | {"kind": "lpips-like", "model": "<path>", "layers": [..], "preset": "squeezenet-caffe"}}
The baseline (nothing swept) is rendered once per (channel, seed); every other cell is compared with it (paired, 95 % CI over channels × seeds): a regulariser gets a best strength only where that CI excludes 0.
Rerun with the same --out to resume. Writes sweep.sqlite, images/, report.html (self-contained), best.png, summary.csv, cells.csv.`,
  positionals: { min: 1, max: 1, missing: 'give a config file' },
  options: {
    out: { value: '<dir>', help: 'output folder (default runs/sweep/<config name>); rerun to resume' },
  },
  load: () => import('../sweep.js'),
};
