/**
 * Distillation targets: a pretrained ImageNet teacher (any featvis model,
 * e.g. the Coral MobileNetV2 .tflite) run once over the training split at its
 * own input size; its class scores for the 10 Imagenette classes are cached
 * as float32 [N, 10] next to the image cache.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { decodeSquare, IMAGENETTE_CLASSES, listSplit, type Split } from './dataset.js';

export interface TeacherTargets {
  /** What produced them: teacher file digest and layer. */
  key: string;
  /** N × 10 class scores (logits when the teacher exposes them). */
  logits: Float32Array;
}

export interface TeacherOptions {
  root: string;
  split: Split;
  /** Path of the teacher model file (hashed into the cache key). */
  teacherPath: string;
  /** Loads the teacher (only called when the cache is missing). */
  load: () => Promise<{ model: FeatModel; layer: string }>;
  dir: string;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

function fileKey(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
}

/** Returns cached teacher scores for every image of the split, computing them first if needed. */
export async function ensureTeacherTargets(opts: TeacherOptions): Promise<TeacherTargets> {
  if (!fs.existsSync(opts.teacherPath)) throw new FeatvisError(`teacher model not found: ${opts.teacherPath}`);
  const listing = listSplit(opts.root, opts.split);
  const n = listing.files.length;
  const key = `${fileKey(opts.teacherPath)}-${n}`;
  const file = path.join(opts.dir, `imagenette-${opts.split}-teacher-${key}.f32`);
  const k = IMAGENETTE_CLASSES.length;
  if (fs.existsSync(file) && fs.statSync(file).size === n * k * 4) {
    const buf = fs.readFileSync(file);
    return { key, logits: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
  }
  const { model, layer } = await opts.load();
  const [h, w] = model.preprocess.size;
  if (h !== w) throw new FeatvisError(`teacher input must be square, got ${h}x${w}`);
  const cols = tf.tensor1d(IMAGENETTE_CLASSES.map((c) => c.imagenet1001), 'int32');
  const out = new Float32Array(n * k);
  const batch = opts.batch ?? 32;
  try {
    for (let i = 0; i < n; i += batch) {
      const files = listing.files.slice(i, i + batch);
      const raw = await Promise.all(files.map((f) => decodeSquare(f, h)));
      const px = new Float32Array(files.length * h * h * 3);
      raw.forEach((r, j) => {
        for (let t = 0; t < r.length; t++) px[j * r.length + t] = r[t]! / 255;
      });
      const scores = tf.tidy(() => {
        const x = tf.tensor4d(px, [files.length, h, h, 3]);
        const y = model.activations(x, [layer])[layer]!;
        return tf.gather(tf.reshape(y, [files.length, -1]), cols, 1);
      });
      out.set(await scores.data(), i * k);
      scores.dispose();
      opts.onProgress?.(Math.min(i + batch, n), n);
    }
  } finally {
    cols.dispose();
    model.dispose();
  }
  fs.mkdirSync(opts.dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, Buffer.from(out.buffer));
  fs.renameSync(tmp, file);
  return { key, logits: out };
}
