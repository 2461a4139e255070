/**
 * What a successfully parsed input must look like: a parser that accepts
 * garbage and hands it on is a failure too. Written independently of src's
 * validation, from the types the rest of featvis relies on.
 */
import type { SweepConfig } from '../../src/experiments/config.js';
import { PARAM_KINDS } from '../../src/optvis/param/index.js';
import { parseTransforms } from '../../src/optvis/transforms.js';

const isInt = (v: unknown, min = 0): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isNum = (v: unknown, min = -Infinity): boolean => typeof v === 'number' && Number.isFinite(v) && v >= min;
const isStr = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown, ok: (x: unknown) => boolean, nonEmpty = true): boolean => Array.isArray(v) && (!nonEmpty || v.length > 0) && v.every(ok);

const REGULARIZERS = ['l1', 'l2', 'tv', 'freq', 'decay', 'blurEvery', 'blurSigma', 'clipNormPct', 'clipContribPct'];
const KNOBS = [...REGULARIZERS, 'blur', 'jitter'];

/** Problems with a parsed sweep config (empty when it is well-formed). */
export function sweepConfigProblems(c: SweepConfig): string[] {
  const p: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) p.push(what);
  };
  need(isStr(c.model), 'model');
  need(isStr(c.layer), 'layer');
  need(list(c.channels, (x) => isInt(x)), 'channels');
  need(list(c.seeds, (x) => isInt(x)), 'seeds');
  for (const k of ['steps', 'size', 'metricSize', 'blurEvery'] as const) need(isInt(c[k], 1), k);
  need(isInt(c.randomImages, 1), 'randomImages');
  need(isNum(c.learningRate) && c.learningRate > 0, 'learningRate');
  need((PARAM_KINDS as readonly unknown[]).includes(c.param), 'param');
  need(typeof c.decorrelate === 'boolean', 'decorrelate');
  // The parser returns transforms as a checked list of steps (src/optvis/transforms.ts).
  const t = c.transforms as unknown;
  need(Array.isArray(t), 'transforms');
  if (Array.isArray(t)) {
    let same = true;
    try {
      same = JSON.stringify(parseTransforms(t)) === JSON.stringify(t);
    } catch {
      same = false;
    }
    need(same, 'transforms (a valid step list)');
  }
  need(isObj(c.base) && Object.entries(c.base).every(([k, v]) => REGULARIZERS.includes(k) && isNum(v, 0)), 'base');
  need(isObj(c.sweep) && Object.keys(c.sweep).length > 0 && Object.entries(c.sweep).every(([k, v]) => KNOBS.includes(k) && list(v, (x) => isNum(x, 0))), 'sweep');
  const e = c.exemplars as unknown;
  need(isObj(e), 'exemplars');
  if (isObj(e)) {
    need(isStr(e.images), 'exemplars.images');
    need(e.limit === undefined || isInt(e.limit, 1), 'exemplars.limit');
    need(isInt(e.k, 2), 'exemplars.k');
    need(isInt(e.heldOut), 'exemplars.heldOut');
    need(isInt(e.batchSize, 1), 'exemplars.batchSize');
    need(e.reduce === 'mean' || e.reduce === 'max', 'exemplars.reduce');
    need(e.size === undefined || isInt(e.size, 1), 'exemplars.size');
  }
  const m = c.metric as unknown;
  need(isObj(m), 'metric');
  if (isObj(m)) {
    if (m.kind === 'lpips') {
      need(m.net === undefined || ['alex', 'vgg', 'squeeze'].includes(m.net as string), 'metric.net');
      need(m.version === undefined || m.version === '0.1' || m.version === '0.0', 'metric.version');
      need(m.backboneWeights === undefined || isStr(m.backboneWeights), 'metric.backboneWeights');
      need(m.linWeights === undefined || isStr(m.linWeights), 'metric.linWeights');
    } else if (m.kind === 'lpips-like') {
      need(isStr(m.model), 'metric.model');
      need(list(m.layers, isStr), 'metric.layers');
      need(m.preset === undefined || m.preset === 'squeezenet-caffe', 'metric.preset');
    } else if (m.kind === 'backbone') {
      need(isStr(m.backbone), 'metric.backbone');
    } else if (m.kind !== 'auto') p.push('metric.kind');
  }
  return p;
}
