/** `featvis study`: options and help (no TensorFlow here; the code is ../study.ts). */
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'study',
  summary: 'the reference study end to end from one config: DeepDream, exemplars, AM overview, sweep, index page (resumable)',
  usage: '<config.json> [--out <dir>]',
  description: `Steps and what each writes:
  1. DeepDream of a photo across layers → dream.png
  2. top-k exemplars of the layer (one pass) → exemplars.sqlite, top9-<a>-<b>.png
  3. AM of a channel range with the default recipe → overview/grid.png
  4. regularisation sweep on selected channels → report.html, best.png (see featvis sweep --help)
  5. an index page → index.html
Config: a sweep config (featvis sweep --help) plus
  "dream": {"photo": "<file>", "layers": ["mixed3", …], "size": 256, "octaves": 3, "steps": 10},
  "overview": {"channels": [0, 119], "steps": 256, "batchSize": 16}
Example: examples/study-inceptionv3.json. Rerun with the same --out to continue where it stopped.`,
  positionals: { min: 1, max: 1, missing: 'give a study config file' },
  options: {
    out: { value: '<dir>', help: 'output folder (default runs/study/<config name>); rerun to resume' },
  },
  load: () => import('../study.js'),
};
