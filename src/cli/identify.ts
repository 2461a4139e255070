/** `featvis identify`: channel-identification accuracy of AM images, held-out exemplars and random images, per offline backbone. */
import path from 'node:path';
import { listImages } from '../data/folder.js';
import { FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import { BACKBONE_IDS } from '../metrics/backbones.js';
import { loadModel } from '../models/load.js';
import { parseChannelList } from '../optvis/objectiveParse.js';
import { identifyTable, runIdentification } from '../experiments/identify.js';
import { Args, parseArgs } from './args.js';
import { Progress } from './progress.js';

export const IDENTIFY_HELP = `featvis identify --model <…> --layer <name> --images <folder>[,<folder>…] — does the metric tell channels apart?

For channels of one layer: mines the top-(k + held-out) exemplars (resumable), renders AM images with the
default recipe (fv.AM_DEFAULTS; resumable, keyed by the settings), then per backbone and variant prints the
channel-identification accuracy (2AFC over channel pairs, Wilson 95 %) of the AM images, of held-out
exemplars (positive control) and of random images (≈ 50 %), and the normalised interpretability.

  --channels <list>     (default 0-31)
  --metrics <ids>       backbones, comma-separated (default all: ${BACKBONE_IDS.join(', ')})
  --seeds <list>        AM seeds (default 0)
  --k <n>               exemplars per channel (default 9); --held-out <n> (default 9); --random <n> (default k)
  --size <px>           side every image is resized to before the metric (default 128)
  --crop                receptive-field crops of the exemplars instead of whole images
  --steps <n>           AM steps (default: the AM defaults); --batch <n> channels per AM batch
  --out <dir>           (default runs/identify/<model>-<layer>); rerun to resume`;

export async function runIdentify(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['crop', 'help']));
  if (a.bool('help', false)) {
    console.log(IDENTIFY_HELP);
    return;
  }
  const modelSrc = a.str('model');
  const layer = a.str('layer');
  const imagesFlag = a.str('images');
  if (!modelSrc || !layer || !imagesFlag) throw new FeatvisError('featvis identify needs --model, --layer and --images (see --help)');
  const channels = parseChannelList(a.str('channels', '0-31'));
  const metrics = a.str('metrics', BACKBONE_IDS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const seeds = parseChannelList(a.str('seeds', '0'));
  const int = (n: number) => Number.isInteger(n) && n >= 1;
  const k = a.num('k', 9, int, 'a positive integer');
  const heldOut = a.num('held-out', 9, int, 'a positive integer');
  const randomK = a.num('random', k, int, 'a positive integer');
  const size = a.num('size', 128, (n) => Number.isInteger(n) && n >= 32, 'an integer ≥ 32');
  const crop = a.bool('crop', false);
  const steps = a.optNum('steps');
  const batch = a.optNum('batch');
  const outFlag = a.str('out');
  a.finish();
  const folders = imagesFlag.split(',').map((s) => s.trim()).filter(Boolean);
  const files = folders.flatMap((f) => listImages(f).map((e) => e.path));
  if (files.length === 0) throw new FeatvisError(`no images found in ${imagesFlag}`);
  const model = await loadModel(modelSrc);
  const out = outFlag ?? path.join('runs', 'identify', `${fileSafe(model.name)}-${fileSafe(layer)}`);
  const bars = new Map<string, Progress>();
  try {
    const res = await runIdentification({
      model,
      layer,
      channels,
      images: folders.length === 1 ? folders[0]! : files,
      outDir: out,
      metrics,
      seeds,
      k,
      heldOut,
      randomK,
      size,
      crop,
      am: { ...(steps !== undefined ? { steps } : {}), ...(batch !== undefined ? { batchSize: batch } : {}) },
      onProgress: (p) => {
        const key = `${p.phase}${p.label ?? ''}`;
        let bar = bars.get(key);
        if (!bar) {
          bar = new Progress({ label: `${p.phase}${p.label ? ` ${p.label}` : ''}`, total: p.total, unit: p.phase === 'mining' ? 'images' : p.phase === 'am' ? 'channels' : 'channel-seeds', start: p.done });
          bars.set(key, bar);
        }
        bar.update(p.done);
        if (p.done >= p.total) bar.finish();
      },
    });
    console.log(identifyTable(res));
    console.log(`wrote ${path.join(out, 'identify.json')} and identify.md`);
  } finally {
    model.dispose();
  }
}
