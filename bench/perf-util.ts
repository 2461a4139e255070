/**
 * Shared helpers of the performance benches (bench/am-step-vs-torch.ts,
 * roofline.ts, mining.ts, scaling.ts): robust statistics, machine / load
 * description, peak memory, one AM step under tf.profile with an exact
 * MAC count of its convolution and matrix kernels.
 */
import fs from 'node:fs';
import os from 'node:os';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import type { FeatModel } from '../src/core/types.js';
import { channel } from '../src/optvis/objectives.js';
import { createParam, type ParamKind } from '../src/optvis/param/index.js';
import { createStepper } from '../src/optvis/render.js';
import { Rng } from '../src/optvis/rng.js';
import type { TransformList } from '../src/optvis/transforms.js';

export const MOBILENET_V2 = '../shared/models/coral_mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite';
export const MID_LAYER = 'MobilenetV2/expanded_conv_7/add';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "min–max" spread of a sample, for the report. */
export function spread(xs: readonly number[], digits = 0): string {
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
}

export function loadAvg(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu} · ${os.cpus().length} cores · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB · node ${process.version} · tfjs backend ${tf.getBackend()} (tfjs-node ${tf.version_core})`;
}

export function header(title: string): void {
  console.log(`# ${title}`);
  console.log(`date ${new Date().toISOString()} · ${machine()}`);
  console.log(`load average at start (1/5/15 min): ${loadAvg()}`);
}

/** Peak resident set size of this process so far (VmHWM), MiB. */
export function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.memoryUsage().rss / 2 ** 20;
}

export function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

export interface KernelStat {
  name: string;
  count: number;
  ms: number;
  /** Multiply–accumulates (convolutions, matrix products); 0 for other kernels. */
  macs: number;
  /** Output elements (a proxy for the work of element-wise kernels). */
  elements: number;
  /** Bytes read and written, counted as 4 per input and output element (no reuse in caches). */
  bytes: number;
}

const prod = (s: readonly number[] | undefined): number => (s ?? []).reduce((a, b) => a * b, 1);

/**
 * Exact MACs of one executed kernel from its input/output shapes:
 *   Conv2D / Conv2DBackpropInput: elements(out or dy) · kh·kw·Cin   (filter [kh,kw,Cin,Cout])
 *   DepthwiseConv2dNative(+BackpropInput): elements(out or dy) · kh·kw
 *   BatchMatMul: elements(out) · K, K = elements(a)·N / elements(out)
 * Conv2DBackpropFilter (not expected: weights are constants) counts like Conv2D.
 */
export function kernelMacs(name: string, inShapes: number[][], outShapes: number[][]): number {
  const out = outShapes[0] ?? [];
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      const f = inShapes[1]!;
      return prod(out) * f[0]! * f[1]! * f[2]!;
    }
    case 'Conv2DBackpropInput': {
      const f = inShapes[1]!; // [dy, filter]
      return prod(inShapes[0]) * f[0]! * f[1]! * f[2]!;
    }
    case 'Conv2DBackpropFilter': {
      const f = out; // dw [kh,kw,Cin,Cout]; dy = inShapes[1]
      return prod(inShapes[1]) * f[0]! * f[1]! * f[2]!;
    }
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D': {
      const f = inShapes[1]!;
      return prod(out) * f[0]! * f[1]!;
    }
    case 'DepthwiseConv2dNativeBackpropInput': {
      const f = inShapes[1]!;
      return prod(inShapes[0]) * f[0]! * f[1]!;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // out [B,M,N], a [B,M,K] (or transposed): MACs = B·M·N·K = elements(a)·N
      return prod(inShapes[0]) * (out.at(-1) ?? 1);
    }
    default:
      return 0;
  }
}

export interface AmStepSpec {
  model: FeatModel;
  layer: string;
  channel: number;
  batch: number;
  size: number;
  transforms: TransformList;
  tv: number;
  learningRate?: number;
  /** Parameterisation (default pixel, plain RGB) and decorrelated colour. */
  param?: ParamKind;
  decorrelate?: boolean;
}

/**
 * One AM step of render() itself (its createStepper: pixel param → transforms →
 * model → objective − penalty, variableGrads, Adam, ReLU redirect), waiting
 * for the loss so each call times a whole step.
 */
export function amStepper(spec: AmStepSpec): { step: () => void; dispose: () => void } {
  const param = createParam(spec.param ?? 'pixel', { batch: spec.batch, height: spec.size, width: spec.size, seed: 0, ...(spec.decorrelate ? { decorrelate: true } : {}) });
  const stepper = createStepper(spec.model, channel(spec.layer, spec.channel), param, {
    learningRate: spec.learningRate ?? 0.05,
    transforms: spec.transforms,
    regularizers: spec.tv ? { tv: spec.tv } : {},
  });
  let n = 0;
  return {
    step: () => {
      stepper.step(++n);
      stepper.loss!.dataSync();
    },
    dispose: () => {
      stepper.dispose();
      param.dispose();
    },
  };
}

/**
 * One forward pass to `layer`, no tape. tfjs-node runs kernels synchronously, so
 * the activation is computed when this returns; its one value read back is the
 * sync. (Returning the typed array of a big activation from tf.tidy would cost
 * hundreds of ms: tidy walks every element of what it returns looking for tensors.)
 */
export function forwardOnly(model: FeatModel, images: Tensor4D, layer: string): void {
  tf.tidy(() => {
    tf.sum(model.activations(images, [layer])[layer]!).dataSync();
  });
}

export interface ProfiledStep {
  kernels: KernelStat[];
  macs: number;
  peakBytes: number;
  kernelMs: number;
}

/**
 * Runs `f` under tf.profile and aggregates its kernels by name. Entries that
 * are not kernels (tf.customGrad wrappers, recorded under their scope's name,
 * e.g. "unnamed scope") are left out: their time is that of the kernels they
 * ran, which are listed themselves.
 */
export async function profileKernels(f: () => void): Promise<ProfiledStep> {
  const info = await tf.profile(f);
  const by = new Map<string, KernelStat>();
  let macs = 0;
  let kernelMs = 0;
  const backend = tf.getBackend();
  for (const k of info.kernels) {
    if (!tf.getKernel(k.name, backend)) continue;
    const s = by.get(k.name) ?? { name: k.name, count: 0, ms: 0, macs: 0, elements: 0, bytes: 0 };
    const m = kernelMacs(k.name, k.inputShapes as number[][], k.outputShapes as number[][]);
    const t = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    s.count++;
    s.ms += t;
    s.macs += m;
    s.elements += prod(k.outputShapes[0] as number[] | undefined);
    const io = [...(k.inputShapes as number[][]), ...(k.outputShapes as number[][])];
    s.bytes += 4 * io.reduce((t, sh) => t + (sh ? prod(sh) : 0), 0);
    by.set(k.name, s);
    macs += m;
    kernelMs += t;
  }
  return { kernels: [...by.values()].sort((a, b) => b.ms - a.ms), macs, peakBytes: info.peakBytes, kernelMs };
}

export function randomImages(batch: number, size: number, seed = 1): Tensor4D {
  const r = new Rng(seed);
  const data = new Float32Array(batch * size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = r.next();
  return tf.tensor4d(data, [batch, size, size, 3]);
}
