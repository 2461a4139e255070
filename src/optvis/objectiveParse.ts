/**
 * Parses objective expressions used by the CLI and notebooks:
 *   mixed6:48            channel
 *   mixed6:48@3,4        neuron at x=3, y=4 (mixed6:48@ = centre)
 *   mixed6               whole layer (DeepDream)
 *   mixed6:48 - 0.5*mixed6:12 + 2*mixed4   sums of scaled terms
 * Layer names may contain '/', '_' and '.', not ':', '@', '+', '*' or spaces.
 */
import { FeatvisError } from '../core/errors.js';
import { channel, layer, neuron, type Objective } from './objectives.js';

const TERM = /^(?:(\d+(?:\.\d+)?|\.\d+)\s*\*\s*)?([^:@+*\s]+)(?::(\d+)(?:@(?:(\d+),(\d+))?)?)?$/;

function parseTerm(text: string): Objective {
  const m = TERM.exec(text.trim());
  if (!m) throw new FeatvisError(`cannot parse objective term '${text}' (expected e.g. 'mixed6:48', '2*mixed6:48@3,4' or 'mixed4')`);
  const [, k, name, ch, x, y] = m;
  let obj: Objective;
  if (ch === undefined) obj = layer(name!);
  else if (text.includes('@')) obj = neuron(name!, Number(ch), x === undefined ? undefined : Number(x), y === undefined ? undefined : Number(y));
  else obj = channel(name!, Number(ch));
  return k === undefined ? obj : obj.times(Number(k));
}

export function parseObjective(expr: string): Objective {
  const src = expr.trim();
  if (!src) throw new FeatvisError('empty objective');
  // Split on + and - that separate terms (not inside numbers like 1e-3; we accept plain decimals only).
  const parts: Array<{ sign: 1 | -1; text: string }> = [];
  let sign: 1 | -1 = 1;
  let cur = '';
  for (const chr of src) {
    if ((chr === '+' || chr === '-') && cur.trim() !== '' && !/[*]\s*$/.test(cur)) {
      parts.push({ sign, text: cur });
      sign = chr === '-' ? -1 : 1;
      cur = '';
    } else if ((chr === '+' || chr === '-') && cur.trim() === '') {
      if (chr === '-') sign = sign === 1 ? -1 : 1;
    } else cur += chr;
  }
  parts.push({ sign, text: cur });
  const objs = parts.map((p) => (p.sign === 1 ? parseTerm(p.text) : parseTerm(p.text).neg()));
  return objs.slice(1).reduce((a, b) => a.plus(b), objs[0]!);
}

/** "0-7,12,20-23" → [0..7, 12, 20..23] */
export function parseChannelList(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new FeatvisError(`bad channel list '${spec}' (use e.g. 0-7,12)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new FeatvisError(`bad channel range '${part}'`);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}
