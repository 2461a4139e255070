/**
 * Parses objective expressions used by the CLI and notebooks:
 *   mixed6:48            channel
 *   mixed6:48@3,4        neuron at x=3, y=4 (mixed6:48@ = centre)
 *   mixed6               whole layer (DeepDream)
 *   mixed6:48 - 0.5*mixed6:12 + 2*mixed4   sums of scaled terms
 * Layer names may contain '/', '_' and '.', not ':', '@', '+', '*' or spaces.
 */
import { channelRangeError, FeatvisError } from '../core/errors.js';
import { checkString } from '../core/check.js';
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
  const src = checkString('parseObjective()', 'expr', expr).trim();
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

/** One `a-b` (or `a`) item of a channel list, kept as a range until it is checked. */
export interface ChannelRange {
  readonly first: number;
  readonly last: number;
}

/** Most channels one list may name when nothing tighter is known (no real layer comes close). */
export const MAX_LISTED_CHANNELS = 1 << 16;

export interface ChannelListOptions {
  /** The layer's channel count: every channel must be below it (or, with `clip`, channels at or above it are dropped). */
  channels?: number;
  /** Layer name for messages. */
  layer?: string;
  /** Drop channels ≥ `channels` instead of failing. */
  clip?: boolean;
  /** Most channels the expanded list may hold (default MAX_LISTED_CHANNELS). */
  maxCount?: number;
}

const RANGE = /^(\d+)(?:\s*-\s*(\d+))?$/;

/** "0-7,12,20-23" → ranges, syntax checked, nothing expanded. */
export function parseChannelRanges(spec: string): ChannelRange[] {
  checkString('parseChannelList()', 'spec', spec);
  const ranges: ChannelRange[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = RANGE.exec(part);
    if (!m) throw new FeatvisError(`bad channel list '${shorten(spec)}' (use e.g. 0-7,12)`);
    const first = channelNumber(m[1]!, spec);
    const last = m[2] === undefined ? first : channelNumber(m[2], spec);
    if (last < first) throw new FeatvisError(`bad channel range '${part}': ${last} is below ${first}`);
    ranges.push({ first, last });
  }
  return ranges;
}

function channelNumber(digits: string, spec: string): number {
  const n = Number(digits);
  if (digits.length > 15 || !Number.isSafeInteger(n)) throw new FeatvisError(`bad channel list '${shorten(spec)}': ${shorten(digits)} is not a channel number`);
  return n;
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** How many channels the ranges name (duplicates counted), without expanding them. */
export function countChannels(ranges: readonly ChannelRange[]): number {
  return ranges.reduce((n, r) => n + (r.last - r.first + 1), 0);
}

/**
 * Expands ranges to channel numbers, after checking them against the layer's
 * channel count and `maxCount`: a range like 0-999999999 is refused (or
 * clipped) before a single number is generated.
 */
export function expandChannelRanges(ranges: readonly ChannelRange[], opts: ChannelListOptions = {}): number[] {
  const { channels, layer, clip = false, maxCount = MAX_LISTED_CHANNELS } = opts;
  if (channels !== undefined && (!Number.isSafeInteger(channels) || channels < 0)) throw new FeatvisError(`channel list: the channel count must be an integer ≥ 0, got ${String(channels)}`);
  let list = [...ranges];
  if (channels !== undefined) {
    if (clip) {
      list = list.filter((r) => r.first < channels).map((r) => ({ first: r.first, last: Math.min(r.last, channels - 1) }));
    } else {
      const bad = list.find((r) => r.last >= channels);
      if (bad) {
        if (layer !== undefined) throw channelRangeError(layer, bad.last, channels);
        throw new FeatvisError(`channel ${bad.last} is out of range: the layer has ${channels} channels (0–${channels - 1})`);
      }
    }
  }
  const count = countChannels(list);
  if (count > maxCount) {
    throw new FeatvisError(`the channel list names ${count} channels, more than the limit of ${maxCount}${layer === undefined ? '' : ` for layer '${layer}'`}`);
  }
  const out: number[] = [];
  for (const r of list) for (let c = r.first; c <= r.last; c++) out.push(c);
  return out;
}

/** "0-7,12,20-23" → [0..7, 12, 20..23], checked against `opts` before expansion. */
export function parseChannelList(spec: string, opts: ChannelListOptions = {}): number[] {
  return expandChannelRanges(parseChannelRanges(spec), opts);
}
