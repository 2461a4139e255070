/** `featvis identify`: channel-identification accuracy of AM images, held-out exemplars and random images, per offline backbone. */
import path from 'node:path';
import { listImages } from '../data/folder.js';
import { FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import { BACKBONE_IDS } from '../metrics/backbones.js';
import { loadModel } from '../models/load.js';
import { parseChannelList } from '../optvis/objectiveParse.js';
import { identifyTable, runIdentification } from '../experiments/identify.js';
import type { CommandArgs } from './options.js';
import { Progress } from './progress.js';

export async function run(a: CommandArgs): Promise<void> {
  if (!a.has('model') || !a.has('layer') || !a.has('images')) throw new FeatvisError('needs --model, --layer and --images (see featvis identify --help)');
  const modelSrc = a.str('model');
  const layer = a.str('layer');
  const imagesFlag = a.str('images');
  const channels = parseChannelList(a.str('channels'));
  const metrics = a.list('metrics') ?? [...BACKBONE_IDS];
  const seeds = parseChannelList(a.str('seeds'));
  const k = a.int('k', { min: 1 });
  const heldOut = a.int('held-out', { min: 1 });
  const randomK = a.optInt('random', { min: 1 }) ?? k;
  const size = a.int('size', { min: 32 });
  const crop = a.bool('crop');
  const steps = a.optInt('steps', { min: 1 });
  const batch = a.optInt('batch', { min: 1 });
  const outFlag = a.optStr('out');
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
