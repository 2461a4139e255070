/**
 * Training checkpoints: model weights (incl. BatchNorm statistics), optimizer
 * state, position (epoch, step) and the run's config in one file, written
 * atomically (temp file, fsync, rename) so an interrupted write never
 * replaces a good checkpoint.
 *
 * Layout: "FVCKPT01" | u32 LE header length | JSON header | float32 data.
 * The random streams are counter-based (seed, epoch, step), so the position
 * is the whole PRNG state.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';

const MAGIC = 'FVCKPT01';
const MAX_HEADER = 16 << 20;

export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface CheckpointState {
  /** Run key of the settings that must match for a resume (trainRunKey). */
  runKey: string;
  config: unknown;
  /** Next epoch to run (0-based) and the step inside it. */
  epoch: number;
  step: number;
  globalStep: number;
  /** Training seconds spent so far (excluding time while stopped). */
  elapsed: number;
  history: unknown[];
  weights: NamedArray[];
  optimizer: NamedArray[];
}

interface Header {
  /** Stored as `configKey` by featvis 0.1. */
  runKey?: string;
  configKey?: string;
  config: unknown;
  epoch: number;
  step: number;
  globalStep: number;
  elapsed: number;
  history: unknown[];
  weights: Array<{ name: string; shape: number[] }>;
  optimizer: Array<{ name: string; shape: number[] }>;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export function writeCheckpoint(file: string, s: CheckpointState): void {
  const header: Header = {
    runKey: s.runKey,
    config: s.config,
    epoch: s.epoch,
    step: s.step,
    globalStep: s.globalStep,
    elapsed: s.elapsed,
    history: s.history,
    weights: s.weights.map(({ name, shape }) => ({ name, shape })),
    optimizer: s.optimizer.map(({ name, shape }) => ({ name, shape })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1'), len, json];
  for (const a of [...s.weights, ...s.optimizer]) {
    if (a.data.length !== size(a.shape)) throw new Error(`checkpoint: ${a.name} has ${a.data.length} values for shape [${a.shape}]`);
    parts.push(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const p of parts) fs.writeSync(fd, p);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function readCheckpoint(file: string): CheckpointState {
  const buf = fs.readFileSync(file);
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new FeatvisError(`${file} is not a featvis training checkpoint`);
  const hlen = buf.readUInt32LE(8);
  if (hlen > MAX_HEADER || 12 + hlen > buf.length) throw new FeatvisError(`${file}: corrupt checkpoint header`);
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
  } catch {
    throw new FeatvisError(`${file}: corrupt checkpoint header`);
  }
  let off = 12 + hlen;
  const take = (specs: Array<{ name: string; shape: number[] }>): NamedArray[] =>
    specs.map(({ name, shape }) => {
      const n = size(shape);
      if (off + n * 4 > buf.length) throw new FeatvisError(`${file}: truncated checkpoint (at ${name})`);
      const data = new Float32Array(n);
      Buffer.from(data.buffer).set(buf.subarray(off, off + n * 4));
      off += n * 4;
      return { name, shape, data };
    });
  const weights = take(header.weights);
  const optimizer = take(header.optimizer);
  if (off !== buf.length) throw new FeatvisError(`${file}: ${buf.length - off} unexpected trailing bytes`);
  const { configKey, runKey, ...rest } = header;
  const key = runKey ?? configKey;
  if (typeof key !== 'string') throw new FeatvisError(`${file}: checkpoint header has no run key`);
  return { ...rest, runKey: key, weights, optimizer };
}

export interface CheckpointDiff {
  /** Same position (epoch, step) and settings. */
  samePosition: boolean;
  /** Arrays compared (weights, then optimizer state) and their values. */
  arrays: number;
  values: number;
  /** Values whose float32 bits differ. */
  differing: number;
  maxAbsDiff: number;
  /** Name of the array with the largest difference (null when identical). */
  worst: string | null;
}

/**
 * Compares two checkpoints value by value (bit patterns, so NaN = NaN and
 * -0 ≠ 0): the check behind "retraining with the same seed gives the same
 * weights".
 */
export function compareCheckpoints(a: CheckpointState, b: CheckpointState): CheckpointDiff {
  const arraysA = [...a.weights, ...a.optimizer];
  const arraysB = [...b.weights, ...b.optimizer];
  if (arraysA.length !== arraysB.length || a.weights.length !== b.weights.length) throw new FeatvisError(`checkpoints hold ${arraysA.length} and ${arraysB.length} arrays: not the same model`);
  let values = 0;
  let differing = 0;
  let maxAbsDiff = 0;
  let worst: string | null = null;
  arraysA.forEach((x, i) => {
    const y = arraysB[i]!;
    // Optimizer slots are named after TF.js variables, whose numeric suffixes depend on how many
    // models the process built before: they are matched by position and shape only.
    const named = i < a.weights.length;
    if ((named && x.name !== y.name) || x.shape.join() !== y.shape.join()) {
      throw new FeatvisError(`array ${i} is ${x.name} [${x.shape}] in one checkpoint and ${y.name} [${y.shape}] in the other`);
    }
    const bx = new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length);
    const by = new Uint32Array(y.data.buffer, y.data.byteOffset, y.data.length);
    for (let j = 0; j < bx.length; j++) {
      if (bx[j] === by[j]) continue;
      differing++;
      // A NaN against a number (or another NaN bit pattern) counts as an infinite difference.
      const raw = Math.abs(x.data[j]! - y.data[j]!);
      const d = Number.isNaN(raw) ? Infinity : raw;
      if (d > maxAbsDiff) {
        maxAbsDiff = d;
        worst = x.name;
      }
    }
    values += bx.length;
  });
  const samePosition = a.runKey === b.runKey && a.epoch === b.epoch && a.step === b.step && a.globalStep === b.globalStep;
  return { samePosition, arrays: arraysA.length, values, differing, maxAbsDiff, worst };
}
