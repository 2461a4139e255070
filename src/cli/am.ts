/** `featvis am`: activation maximisation for channels of a layer → PNGs, grid.png, run.json. */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../data/image.js';
import { formatQuality } from '../data/quality.js';
import { exemplarQuality } from '../exemplars/quality.js';
import { loadModel } from '../models/load.js';
import { expandChannelRanges, parseChannelRanges } from '../optvis/objectiveParse.js';
import { PARAM_KINDS, type ParamKind } from '../optvis/param/index.js';
import { REGULARIZER_SETTINGS, type Regularizers } from '../optvis/regularizers.js';
import { AM_DEFAULTS, PARAM_DEFAULTS, amSettings } from '../optvis/settings.js';
import { TRANSFORM_PRESETS, transformPreset } from '../optvis/transforms.js';
import { visualizeChannels } from '../optvis/visualize.js';
import { FeatvisError, unknownLayerError } from '../core/errors.js';
import { Args, parseArgs } from './args.js';
import { Progress } from './progress.js';
import { DEFAULT_MODEL, defaultLayer } from '../models/defaults.js';
import { fileSafe } from '../core/names.js';

const regularizerHelp = REGULARIZER_SETTINGS.map((r) => `  --${r.flag.padEnd(14)} ${r.help}${r.kind === 'operator' ? ' (pixel)' : ''}`).join('\n');

export const AM_HELP = `featvis am — activation maximisation for channels of one layer

  --model <id|path|url>   model (default: ${DEFAULT_MODEL}, embedded, works offline)
  --layer <name>          layer (default: the model's suggested layer; list with \`featvis layers\`)
  --channels <list>       e.g. 0-15,42 (default 0-15)
  --steps <n>             optimisation steps (default ${AM_DEFAULTS.steps})
  --size <px>             image side (default ${AM_DEFAULTS.size})
  --param ${PARAM_KINDS.join('|')}  parameterisation (default ${AM_DEFAULTS.param}: phases under a natural spectrum, Fel et al. 2023)
  --lr <x>                Adam learning rate (default: ${Object.entries(PARAM_DEFAULTS).map(([k, v]) => `${k} ${v.learningRate}`).join(', ')})
  --contrast <k>          MACO's gain before the sigmoid (default ${PARAM_DEFAULTS.maco.paramOptions?.contrast})
  --no-decorrelate        no colour decorrelation
  --transforms ${TRANSFORM_PRESETS.join('|')}   (default standard)
  --batch <n>             channels optimised together (default ${AM_DEFAULTS.batchSize})
  --seed <n>              (default ${AM_DEFAULTS.seed})
  --snapshots <steps>     e.g. 32,64 (also saves images at those steps)
  --out <dir>             output folder (default runs/am/<model>/<layer>); rerun to resume
  --exemplars <store>     an exemplar store (featvis top9) of this layer: its top-9 photos'
                          quality numbers are printed beside the AM images' and kept in run.json

Regularisers (strength, default 0 = off; "(pixel)" = needs --param pixel):
${regularizerHelp}
`;

export async function runAm(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['decorrelate', 'help']));
  if (a.bool('help', false)) {
    console.log(AM_HELP);
    return;
  }
  const modelSrc = a.str('model', DEFAULT_MODEL);
  const reg: Regularizers = {};
  for (const r of REGULARIZER_SETTINGS) {
    const v = a.optNum(r.flag);
    if (v !== undefined) reg[r.key] = v;
  }
  const paramKind = a.str('param', AM_DEFAULTS.param);
  if (!(PARAM_KINDS as readonly string[]).includes(paramKind)) throw new FeatvisError(`--param must be one of ${PARAM_KINDS.join(', ')}, got '${paramKind}'`);
  const layerFlag = a.str('layer');
  // Syntax now; the numbers are checked against the layer once the model is loaded, before expansion.
  const channelRanges = parseChannelRanges(a.str('channels', '0-15'));
  const size = a.num('size', AM_DEFAULTS.size, (n) => Number.isInteger(n) && n >= 16 && n <= 2048, 'an integer in 16–2048');
  const partial = {
    steps: a.num('steps', AM_DEFAULTS.steps, (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
    size,
    ...(a.optNum('lr') !== undefined ? { learningRate: a.num('lr', 0, (n) => n > 0, 'a positive number') } : {}),
    ...(a.optNum('contrast') !== undefined ? { paramOptions: { contrast: a.num('contrast', 0, (n) => n > 0 && n <= 100, 'a number in (0, 100]') } } : {}),
    param: paramKind as ParamKind,
    decorrelate: a.bool('decorrelate', AM_DEFAULTS.decorrelate),
    transforms: transformPreset(a.str('transforms', 'standard'), size),
    regularizers: reg,
    seed: a.num('seed', AM_DEFAULTS.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
    batchSize: a.num('batch', AM_DEFAULTS.batchSize, (n) => Number.isInteger(n) && n > 0, 'a positive integer'),
    snapshots: (a.str('snapshots') ?? '').split(',').filter(Boolean).map(Number),
  };
  const outFlag = a.str('out');
  const exemplarStore = a.str('exemplars');
  a.finish();
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
