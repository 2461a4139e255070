/**
 * The files of an atlas folder. Site (what a browser opens): `index.html`,
 * `channels/c<c>.html`, `assets/`, `img/`. Work (what resuming reads):
 * `work/atlas.json`, `work/exemplars.sqlite`, `work/am/` (PNGs and the batch
 * files that commit them), `work/channels/c<c>.json`, `work/score/`,
 * `work/score.json`, `work/neighbours.json`. Every JSON file is written
 * atomically (temp file + rename): a kill at any moment leaves either the old
 * file or the new one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import type { QueryScore } from '../metrics/interpretability.js';
import type { ScoreVariant } from '../metrics/embedding.js';
import type { ScoreCache, ScoreUnit } from '../experiments/layerScore.js';

export class AtlasFiles {
  readonly work: string;

  constructor(readonly root: string) {
    this.work = path.join(root, 'work');
  }

  get manifest(): string {
    return path.join(this.work, 'atlas.json');
  }
  get store(): string {
    return path.join(this.work, 'exemplars.sqlite');
  }
  get score(): string {
    return path.join(this.work, 'score.json');
  }
  get neighbours(): string {
    return path.join(this.work, 'neighbours.json');
  }
  channel(c: number): string {
    return path.join(this.work, 'channels', `c${c}.json`);
  }
  /** Work-relative PNG of channel c's AM image. */
  amPng(c: number): string {
    return `am/c${c}.png`;
  }
  mainBatch(first: number, last: number): string {
    return path.join(this.work, 'am', `main-${first}-${last}.json`);
  }
  diverseBatch(first: number, last: number): string {
    return path.join(this.work, 'am', `diverse-${first}-${last}.json`);
  }
  scoreUnit(c: number, seed: number): string {
    return path.join(this.work, 'score', `c${c}-s${seed}.json`);
  }
  /** Site-relative image paths. */
  static amImage(c: number): string {
    return `img/am/c${c}.jpg`;
  }
  static diverseImage(c: number, i: number): string {
    return `img/diverse/c${c}_${i}.jpg`;
  }
  static exemplarImage(c: number, rank: number): string {
    return `img/exemplars/c${c}_${rank}.jpg`;
  }
  static cropImage(c: number, rank: number): string {
    return `img/crops/c${c}_${rank}.jpg`;
  }
  static channelPage(c: number): string {
    return `channels/c${c}.html`;
  }
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** A JSON file, or null when it is missing or unreadable (a torn write cannot happen: writes are atomic). */
export function readJson<T>(file: string): T | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

export function mustReadJson<T>(file: string, what: string): T {
  const v = readJson<T>(file);
  if (v === null) throw new FeatvisError(`${what} is missing or unreadable: ${file} (run the atlas again to finish it)`);
  return v;
}

/** Float32 values as base64 (little-endian): a unit's distance lists stay small on disk; NaN survives. */
function packFloats(xs: readonly number[]): string {
  return Buffer.from(Float32Array.from(xs).buffer).toString('base64');
}

function unpackFloats(s: string): number[] {
  const b = Buffer.from(s, 'base64');
  return Array.from(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4));
}

type PackedQuery = Omit<QueryScore, 'toTop' | 'distances'> & { toTop: string; distances: string };

interface PackedUnit {
  key: string;
  random: string[];
  queries: Partial<Record<ScoreVariant, PackedQuery[]>>;
}

const pack = (q: QueryScore): PackedQuery => ({ ...q, toTop: packFloats(q.toTop), distances: packFloats(q.distances) });
const unpack = (q: PackedQuery): QueryScore => ({ ...q, toTop: unpackFloats(q.toTop), distances: unpackFloats(q.distances) });

function fromPacked(p: PackedUnit): ScoreUnit {
  const queries: ScoreUnit['queries'] = {};
  for (const [v, qs] of Object.entries(p.queries) as Array<[ScoreVariant, PackedQuery[]]>) queries[v] = qs.map(unpack);
  return { random: p.random, queries };
}

/**
 * The atlas's score cache: one file per (channel, seed), valid for one key
 * (channel list, metric, settings). Distances are kept as float32; `put`
 * returns the unit as read back, so every run scores from the stored numbers.
 */
export function fileScoreCache(files: AtlasFiles, key: string): ScoreCache {
  return {
    get(channel, seed) {
      const p = readJson<PackedUnit>(files.scoreUnit(channel, seed));
      return p && p.key === key ? fromPacked(p) : undefined;
    },
    put(channel, seed, unit) {
      const packed: PackedUnit = { key, random: unit.random, queries: {} };
      for (const [v, qs] of Object.entries(unit.queries) as Array<[ScoreVariant, QueryScore[]]>) packed.queries[v] = qs.map(pack);
      writeJson(files.scoreUnit(channel, seed), packed);
      return fromPacked(JSON.parse(JSON.stringify(packed)) as PackedUnit);
    },
  };
}
