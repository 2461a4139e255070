/**
 * The fuzzed parsers. Each target turns one input into a call of the real
 * parser (and of what reads its result lazily), so the harness can classify
 * the outcome: returned, FeatvisError (the project's own clear error), or
 * anything else (a failure).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FeatvisError } from '../../src/core/errors.js';
import type { SweepKnob } from '../../src/experiments/config.js';
import type { Hdf5Group, Hdf5Node } from '../../src/io/hdf5.js';
import { sweepConfigProblems } from './invariants.js';
import * as seeds from './seeds.js';

export interface SeedOptions {
  /** The reference Python (h5py), or null. */
  python: string | null;
}

export interface FuzzTarget {
  name: string;
  /** What the target covers, for the report. */
  covers: string;
  /** Valid inputs to mutate; an empty list makes the target unavailable (`unavailable` says why). */
  seeds(opts: SeedOptions): Uint8Array[];
  unavailable?: string;
  /** Inputs are JSON text: half the mutations are structural. */
  json?: boolean;
  /** Mutated inputs are cut to this size. */
  maxBytes: number;
  /** Per-process setup (temp folders); returns the cleanup. */
  setup?(): () => void;
  /**
   * Imports what the target needs (only that: a worker for a file parser
   * does not load TensorFlow) and returns the function run on each input.
   */
  load(): Promise<(input: Uint8Array) => void>;
}

/** Runs every step; a FeatvisError does not stop the others and the first one is rethrown at the end; anything else propagates at once. */
function steps(...fns: Array<() => void>): void {
  let first: FeatvisError | null = null;
  for (const fn of fns) {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof FeatvisError)) throw err;
      first ??= err;
    }
  }
  if (first) throw first;
}

const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

function walkHdf5(root: Hdf5Group, Group: typeof Hdf5Group): void {
  const queue: Hdf5Node[] = [root];
  const fns: Array<() => void> = [];
  for (let i = 0; i < queue.length && i < 256; i++) {
    const n = queue[i]!;
    if (n instanceof Group) {
      fns.push(() => void n.attrs(), () => void n.stringListAttr('layer_names'), () => void n.stringListAttr('weight_names'));
      let keys: string[] = [];
      try {
        keys = n.keys();
      } catch (err) {
        if (!(err instanceof FeatvisError)) throw err;
        fns.push(() => {
          throw err;
        });
      }
      for (const k of keys.slice(0, 64)) {
        try {
          const c = n.get(k);
          if (c) queue.push(c);
        } catch (err) {
          if (!(err instanceof FeatvisError)) throw err;
          fns.push(() => {
            throw err;
          });
        }
      }
    } else {
      fns.push(() => {
        if (/f[248]$/.test(n.dtype) && n.size <= 1 << 20) void n.readFloat32();
      });
    }
  }
  steps(...fns);
}

let modelDir = '';

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: 'pickle',
    covers: 'restricted unpickler (src/io/pickle.ts)',
    seeds: () => seeds.pickleSeeds(),
    maxBytes: 1 << 16,
    load: async () => {
      const { TorchStorageRef, unpickle } = await import('../../src/io/pickle.js');
      return (b) => void unpickle(b, { source: 'fuzz.pkl', persistentLoad: () => new TorchStorageRef('float32', 4, '0', 'cpu', 8) });
    },
  },
  {
    name: 'pth',
    covers: 'PyTorch checkpoints, zip and legacy (src/io/pth.ts, pickle.ts, zip.ts)',
    seeds: () => seeds.pthSeeds(),
    maxBytes: 1 << 18,
    load: async () => {
      const { parseTorchStateDict } = await import('../../src/io/pth.js');
      return (b) => {
        for (const t of parseTorchStateDict(b, 'fuzz.pth').values()) void t.data.length;
      };
    },
  },
  {
    name: 'zip',
    covers: 'zip reader, stored and deflated entries (src/io/zip.ts)',
    seeds: () => seeds.zipSeeds(),
    maxBytes: 1 << 16,
    load: async () => {
      const { ZipReader } = await import('../../src/io/zip.js');
      return (b) => {
        const zip = new ZipReader(b, 'fuzz.zip', { maxInflatedBytes: 64 << 20 });
        steps(...zip.names().map((n) => () => void zip.read(n)));
      };
    },
  },
  {
    name: 'tflite',
    covers: 'TFLite FlatBuffers (src/io/flatbuffers.ts, tfliteSchema.ts)',
    seeds: () => seeds.tfliteSeeds(),
    maxBytes: 1 << 16,
    load: async () => {
      const tflite = await import('../../src/io/tfliteSchema.js');
      return (b) => {
        const m = tflite.parseTflite(b, 'fuzz.tflite');
        const ops = m.subgraphs.flatMap((g) => g.operators);
        steps(
          ...ops.map((op) => () => {
            tflite.conv2dOptions(op);
            tflite.depthwiseConv2dOptions(op);
            tflite.pool2dOptions(op);
            tflite.fullyConnectedOptions(op);
            tflite.softmaxBeta(op);
            tflite.concatenationOptions(op);
            tflite.binaryActivation(op);
            tflite.reshapeNewShape(op);
            tflite.reducerKeepDims(op);
            tflite.squeezeDims(op);
            tflite.leakyReluAlpha(op);
          }),
        );
      };
    },
  },
  {
    name: 'hdf5',
    covers: 'HDF5 weight files via jsfive (src/io/hdf5.ts)',
    seeds: (o) => seeds.hdf5Seeds(o.python),
    unavailable: 'needs h5py from the reference Python venv (.venv) to make seeds',
    maxBytes: 1 << 16,
    load: async () => {
      const { openHdf5Bytes, Hdf5Group } = await import('../../src/io/hdf5.js');
      return (b) => walkHdf5(openHdf5Bytes(b, 'fuzz.h5'), Hdf5Group);
    },
  },
  {
    name: 'bmp',
    covers: 'BMP decoder (src/data/bmp.ts)',
    seeds: () => seeds.bmpSeeds(),
    maxBytes: 1 << 16,
    load: async () => {
      const { decodeBmp } = await import('../../src/data/bmp.js');
      return (b) => void decodeBmp(b);
    },
  },
  {
    name: 'modeljson',
    covers: 'TF.js model.json: manifest, remote shard URLs, local shards (src/io/tfjsManifest.ts, safePaths.ts, models/tfjsFiles.ts)',
    seeds: () => seeds.modelJsonSeeds(),
    json: true,
    maxBytes: 1 << 20,
    setup: () => {
      modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-fuzz-model-'));
      for (const [f, n] of Object.entries(seeds.MODEL_JSON_SHARDS)) {
        fs.mkdirSync(path.dirname(path.join(modelDir, f)), { recursive: true });
        fs.writeFileSync(path.join(modelDir, f), Buffer.alloc(n, 1));
      }
      return () => fs.rmSync(modelDir, { recursive: true, force: true });
    },
    load: async () => {
      const { parseTfjsModelJson } = await import('../../src/io/tfjsManifest.js');
      const { relativeUrlInside } = await import('../../src/io/safePaths.js');
      const { readTfjsShards } = await import('../../src/models/tfjsFiles.js');
      return (b) => {
        const j = parseTfjsModelJson(text(b), 'fuzz/model.json');
        steps(
          ...j.paths.slice(0, 64).map((p) => () => void relativeUrlInside('https://models.example/org/net/model.json', p, 'fuzz/model.json')),
          () => void readTfjsShards(modelDir, j, 'fuzz/model.json'),
        );
      };
    },
  },
  {
    name: 'sweepconfig',
    covers: 'sweep configs (src/experiments/config.ts)',
    seeds: () => seeds.sweepConfigSeeds(),
    json: true,
    maxBytes: 1 << 20,
    load: async () => {
      const { cellRenderSettings, parseSweepConfigText } = await import('../../src/experiments/config.js');
      return (b) => {
        const cfg = parseSweepConfigText(text(b), 'fuzz.json');
        const problems = sweepConfigProblems(cfg);
        if (problems.length > 0) throw new Error(`accepted a malformed config: ${problems.join(', ')}`);
        for (const [knob, strengths] of Object.entries(cfg.sweep)) for (const s of strengths ?? []) cellRenderSettings(cfg, knob as SweepKnob, s);
      };
    },
  },
];

export function targetByName(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz target '${name}' (known: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
