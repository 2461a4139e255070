/** `featvis am`: activation maximisation for channels of a layer → PNGs, grid.png, run.json. */
import path from 'node:path';
import { loadModel } from '../models/load.js';
import { expandChannelRanges, parseChannelRanges } from '../optvis/objectiveParse.js';
import type { ParamKind } from '../optvis/param/index.js';
import type { Regularizers } from '../optvis/regularizers.js';
import { transformPreset } from '../optvis/transforms.js';
import { visualizeChannels, type VisualizeSettings } from '../optvis/visualize.js';
import { FeatvisError, unknownLayerError } from '../core/errors.js';
import { Args, parseArgs } from './args.js';
import { Progress } from './progress.js';
import { DEFAULT_MODEL, defaultLayer } from '../models/defaults.js';
import { fileSafe } from '../core/names.js';

export const AM_HELP = `featvis am — activation maximisation for channels of one layer

  --model <id|path|url>   model (default: ${DEFAULT_MODEL}, embedded, works offline)
  --layer <name>          layer (default: the model's suggested layer; list with \`featvis layers\`)
  --channels <list>       e.g. 0-15,42 (default 0-15)
  --steps <n>             optimisation steps (default 256)
  --size <px>             image side (default 128)
  --lr <x>                Adam learning rate (default 0.05)
  --param fft|pixel       parameterisation (default fft)
  --no-decorrelate        no colour decorrelation
  --transforms standard|jitter|none   (default standard)
  --l1 --l2 --tv --freq <strength>    penalties (default 0)
  --decay <x> --blur-every <k> --blur-sigma <s> --clip-norm <pct> --clip-contrib <pct>
                          Yosinski step operators (need --param pixel)
  --batch <n>             channels optimised together (default 16)
  --seed <n>              (default 0)
  --snapshots <steps>     e.g. 32,64 (also saves images at those steps)
  --out <dir>             output folder (default runs/am/<model>/<layer>); rerun to resume
`;

export async function runAm(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['decorrelate', 'help']));
  if (a.bool('help', false)) {
    console.log(AM_HELP);
    return;
  }
  const modelSrc = a.str('model', DEFAULT_MODEL);
  const pos = (n: number) => n > 0;
  const nonNeg = (n: number) => n >= 0;
  const reg: Regularizers = {};
  const regFlags: Array<[keyof Regularizers, string]> = [
    ['l1', 'l1'], ['l2', 'l2'], ['tv', 'tv'], ['freq', 'freq'], ['decay', 'decay'],
    ['blurEvery', 'blur-every'], ['blurSigma', 'blur-sigma'], ['clipNormPct', 'clip-norm'], ['clipContribPct', 'clip-contrib'],
  ];
  for (const [k, flag] of regFlags) {
    const v = a.optNum(flag);
    if (v !== undefined) reg[k] = v;
  }
  const paramKind = a.str('param', 'fft');
  if (paramKind !== 'fft' && paramKind !== 'pixel') throw new FeatvisError(`--param must be fft or pixel, got '${paramKind}'`);
  const layerFlag = a.str('layer');
  // Syntax now; the numbers are checked against the layer once the model is loaded, before expansion.
  const channelRanges = parseChannelRanges(a.str('channels', '0-15'));
  const settingsPartial = {
    steps: a.num('steps', 256, (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
    size: a.num('size', 128, (n) => Number.isInteger(n) && n >= 16 && n <= 2048, 'an integer in 16–2048'),
    learningRate: a.num('lr', 0.05, pos, 'a positive number'),
    param: paramKind as ParamKind,
    decorrelate: a.bool('decorrelate', true),
    transforms: transformPreset(a.str('transforms', 'standard')),
    regularizers: reg,
    seed: a.num('seed', 0, (n) => Number.isInteger(n) && nonNeg(n), 'a non-negative integer'),
    batchSize: a.num('batch', 16, (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
    snapshots: (a.str('snapshots') ?? '').split(',').filter(Boolean).map(Number),
  };
  const outFlag = a.str('out');
  a.finish();
  const model = await loadModel(modelSrc);
  const layer = layerFlag ?? defaultLayer(model);
  const info = model.layers.find((l) => l.name === layer);
  if (!info) throw unknownLayerError(layer, model.layers.map((l) => l.name), model.name);
  const channels = expandChannelRanges(channelRanges, { channels: info.shape.at(-1) ?? 0, layer });
  const settings: VisualizeSettings = { layer, channels, ...settingsPartial };
  const out = outFlag ?? path.join('runs', 'am', fileSafe(model.name), fileSafe(layer));
  console.error(`featvis am: ${model.name} · ${layer} · ${settings.channels.length} channels · ${settings.steps} steps · ${settings.size}px → ${out}`);
  const bar = new Progress({ label: 'am', total: settings.channels.length * settings.steps, unit: 'channel-steps' });
  const started = Date.now();
  const res = await visualizeChannels(model, settings, {
    outDir: out,
    onProgress: (p) => {
      const stepDone = p.step ? p.step.step * Math.min(settings.batchSize, settings.channels.length - p.done) : 0;
      const mean = p.step ? p.step.scores.reduce((x, y) => x + y, 0) / p.step.scores.length : undefined;
      bar.update(p.done * settings.steps + stepDone, mean === undefined ? `${p.done}/${p.total} channels` : `${p.done}/${p.total} channels, mean act ${mean.toFixed(3)}`);
    },
  });
  bar.finish(`${res.results.length} channels`);
  console.log(`channel  activation`);
  for (const r of res.results) console.log(`${String(r.channel).padStart(7)}  ${r.activation.toFixed(4)}`);
  console.log(`wrote ${res.results.length} PNGs, ${res.gridFile} and ${res.runFile} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  model.dispose();
}
