/** `featvis am`: activation maximisation for channels of a layer → PNGs, grid.png, run.json (options: specs/am.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../data/image.js';
import { formatQuality } from '../data/quality.js';
import { exemplarQuality } from '../exemplars/quality.js';
import { loadModel } from '../models/load.js';
import { expandChannelRanges, parseChannelRanges } from '../optvis/objectiveParse.js';
import { PARAM_KINDS, type ParamKind } from '../optvis/param/kinds.js';
import { REGULARIZER_SETTINGS, type Regularizers } from '../optvis/regularizers.js';
import { amSettings } from '../optvis/settings.js';
import { transformPreset } from '../optvis/transforms.js';
import { visualizeChannels } from '../optvis/visualize.js';
import { FeatvisError, unknownLayerError } from '../core/errors.js';
import type { CommandArgs } from './options.js';
import { Progress } from './progress.js';
import { defaultLayer } from '../models/defaults.js';
import { fileSafe } from '../core/names.js';

/** `--snapshots 32,64` → [32, 64] (positive integers). */
function parseSnapshots(text: string | undefined): number[] {
  const list = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const steps = list.map(Number);
  const bad = list.find((_, i) => !Number.isSafeInteger(steps[i]) || steps[i]! < 1);
  if (bad !== undefined) throw new FeatvisError(`option --snapshots: '${bad}' is not a positive step number`);
  return steps;
}

export async function run(a: CommandArgs): Promise<void> {
  const modelSrc = a.str('model');
  const reg: Regularizers = {};
  for (const r of REGULARIZER_SETTINGS) {
    const v = a.optNum(r.flag, { min: 0, ...(r.integer ? { integer: true } : {}) });
    if (v !== undefined) reg[r.key] = v;
  }
  const paramKind: ParamKind = a.choice('param', PARAM_KINDS);
  const layerFlag = a.optStr('layer');
  // Syntax now; the numbers are checked against the layer once the model is loaded, before expansion.
  const channelRanges = parseChannelRanges(a.str('channels'));
  const size = a.int('size', { min: 16, max: 2048 });
  const lr = a.optNum('lr', { above: 0 });
  const contrast = a.optNum('contrast', { above: 0, max: 100 });
  const partial = {
    steps: a.int('steps', { min: 1 }),
    size,
    ...(lr !== undefined ? { learningRate: lr } : {}),
    ...(contrast !== undefined ? { paramOptions: { contrast } } : {}),
    param: paramKind,
    decorrelate: a.bool('decorrelate'),
    transforms: transformPreset(a.str('transforms'), size),
    regularizers: reg,
    seed: a.int('seed', { min: 0 }),
    batchSize: a.int('batch', { min: 1 }),
    snapshots: parseSnapshots(a.optStr('snapshots')),
  };
  const outFlag = a.optStr('out');
  const exemplarStore = a.optStr('exemplars');
  if (exemplarStore && !fs.existsSync(exemplarStore)) throw new FeatvisError(`--exemplars: ${exemplarStore} does not exist (make one with featvis top9)`);
  const model = await loadModel(modelSrc);
  const layer = layerFlag ?? defaultLayer(model);
  const info = model.layers.find((l) => l.name === layer);
  if (!info) throw unknownLayerError(layer, model.layers.map((l) => l.name), model.name);
  const channels = expandChannelRanges(channelRanges, { channels: info.shape.at(-1) ?? 0, layer });
  const settings = amSettings({ layer, channels, ...partial });
  const out = outFlag ?? path.join('runs', 'am', fileSafe(model.name), fileSafe(layer));
  console.error(`featvis am: ${model.name} · ${layer} · ${settings.channels.length} channels · ${settings.steps} steps · ${settings.size}px → ${out}`);
  const bar = new Progress({ label: 'am', total: settings.channels.length * settings.steps, unit: 'channel-steps' });
  const started = Date.now();
  const res = await visualizeChannels(model, settings, {
    outDir: out,
    onProgress: (p) => {
      const stepDone = p.step ? p.step.step * (p.batch ?? 1) : 0;
      const mean = p.step ? p.step.scores.reduce((x, y) => x + y, 0) / p.step.scores.length : undefined;
      bar.update(p.done * settings.steps + stepDone, mean === undefined ? `${p.done}/${p.total} channels` : `${p.done}/${p.total} channels, mean act ${mean.toFixed(3)}`);
    },
  });
  bar.finish(`${res.results.length} channels`);
  console.log(`channel  activation`);
  for (const r of res.results) console.log(`${String(r.channel).padStart(7)}  ${r.activation.toFixed(4)}`);
  console.log(`image quality (median over channels): ${formatQuality(res.quality)}`);
  if (exemplarStore) {
    const ex = await exemplarQuality(exemplarStore, layer, settings.channels, settings.size);
    console.log(`top-9 exemplars (${ex.images} photos):           ${formatQuality(ex)}`);
    console.log(`high-frequency share: ${(res.quality.hfShare / ex.hfShare).toFixed(2)}× the photos'`);
    const runJson = JSON.parse(fs.readFileSync(res.runFile!, 'utf8')) as Record<string, unknown>;
    writeFileAtomic(res.runFile!, JSON.stringify({ ...runJson, exemplarQuality: { store: path.resolve(exemplarStore), ...ex } }, null, 2));
  }
  console.log(`wrote ${res.results.length} PNGs, ${res.gridFile} and ${res.runFile} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  model.dispose();
}
