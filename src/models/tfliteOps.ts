/**
 * TFLite operators as differentiable tfjs functions. Quantised models run in
 * float: constants are dequantised once at load time (tfliteConstants.ts),
 * activation quantisation is ignored, QUANTIZE / DEQUANTIZE are identities;
 * fused activations are tfliteActivation.ts.
 */
import { tf, type Tensor, type Tensor4D } from '../backend/tf.js';
import type { FeatvisError } from '../core/errors.js';
import * as S from '../io/tfliteSchema.js';
import { activate, biasActivation } from './tfliteActivation.js';

/** What an op builder may ask about the graph it is part of. */
export interface OpEnv {
  /** Static shape of tensor `i` as stored in the file (batch included); [] when unknown or scalar. */
  shape(i: number): number[];
  /** Float value of a constant (or load-time folded) tensor; null for run-time tensors. */
  constant(i: number): Tensor | null;
  /** Integer values of a constant integer tensor (shapes, axes, paddings). */
  ints(i: number, what: string): number[];
  /** Registers a tensor made at load time, so the model's dispose() frees it. */
  keep<T extends Tensor>(t: T): T;
  /** An error about the current operator (names the model, op and output). */
  fail(problem: string): FeatvisError;
}

export interface BuiltOp {
  kind: string;
  /** Tensor indices whose values `run` receives, in this order (run-time or constant). */
  data: number[];
  run(xs: Tensor[]): Tensor;
}

type Builder = (op: S.TfliteOperator, env: OpEnv) => BuiltOp;

// ---------------------------------------------------------------- padding

/** TensorFlow SAME padding for one spatial dimension: [before, after] (asymmetric: the extra pixel goes after). */
export function samePadding(inSize: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effective - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** tfjs padding mode for a TFLite one. tfjs's 'same' is TF's SAME exactly (conv_util: pad_before = floor(total / 2), the odd pixel after; the native backend calls TF itself). */
export function tfjsPadding(p: S.Padding): 'same' | 'valid' {
  return p === S.Padding.SAME ? 'same' : 'valid';
}

/**
 * Spreads a [kh, kw, a, b] kernel over its dilated extent ((k − 1)·d + 1, zeros
 * between taps). tfjs has no gradient for dilated convolutions (and refuses
 * stride > 1 with dilation > 1), so dilated TFLite convolutions run as plain
 * ones with this kernel: identical outputs (SAME padding uses the effective
 * size in both), at the cost of the zero taps.
 */
export function dilateKernel(w: Tensor4D, dh: number, dw: number): Tensor4D {
  if (dh === 1 && dw === 1) return w;
  const [kh, kw, a, b] = w.shape;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const src = w.dataSync();
  const out = new Float32Array(eh * ew * a * b);
  const inner = a * b;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      out.set(src.subarray((i * kw + j) * inner, (i * kw + j + 1) * inner), (i * dh * ew + j * dw) * inner);
    }
  }
  return tf.tensor4d(out, [eh, ew, a, b]);
}

// ---------------------------------------------------------------- helpers

const ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

function checkActivation(act: number, env: OpEnv): number {
  if (act < 0 || act > S.Activation.TANH) throw env.fail(`unsupported fused activation ${ACTIVATION_NAMES[act] ?? `#${act}`}`);
  return act;
}


/** Input `k` of the operator, or -1 when absent / omitted. */
function input(op: S.TfliteOperator, k: number): number {
  const i = op.inputs[k];
  return i === undefined ? -1 : i;
}

function required(op: S.TfliteOperator, k: number, env: OpEnv, what: string): number {
  const i = input(op, k);
  if (i < 0) throw env.fail(`missing ${what} (input ${k})`);
  return i;
}

function constantInput(op: S.TfliteOperator, k: number, env: OpEnv, what: string): Tensor {
  const t = env.constant(required(op, k, env, what));
  if (!t) throw env.fail(`${what} must be a constant tensor (featvis imports models with fixed weights)`);
  return t;
}

function optionalBias(op: S.TfliteOperator, k: number, env: OpEnv, channels: number): Tensor | null {
  const i = input(op, k);
  if (i < 0) return null;
  const b = env.constant(i);
  if (!b) throw env.fail('bias must be a constant tensor');
  if (b.size !== channels) throw env.fail(`bias has ${b.size} values for ${channels} output channels`);
  return env.keep(tf.reshape(b, [channels]));
}

function normAxis(axis: number, rank: number, env: OpEnv): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || (rank > 0 && a >= rank)) throw env.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function checkPositive(values: Array<[string, number]>, env: OpEnv): void {
  for (const [k, v] of values) {
    if (!Number.isInteger(v) || v < 1 || v > 4096) throw env.fail(`invalid ${k} ${v}`);
  }
}

const MAX_EFFECTIVE_KERNEL = 512;

function checkEffectiveKernel(kh: number, kw: number, o: { dilationH: number; dilationW: number }, env: OpEnv): void {
  const eh = (kh - 1) * o.dilationH + 1;
  const ew = (kw - 1) * o.dilationW + 1;
  if (eh > MAX_EFFECTIVE_KERNEL || ew > MAX_EFFECTIVE_KERNEL) throw env.fail(`dilated kernel extent ${eh}×${ew} is too large`);
}

function as4d(x: Tensor, env: OpEnv): Tensor4D {
  if (x.rank !== 4) throw env.fail(`expects a 4-D NHWC input, got shape [${x.shape.join(', ')}]`);
  return x as Tensor4D;
}

// ---------------------------------------------------------------- builders

const conv2d: Builder = (op, env) => {
  const o = S.conv2dOptions(op);
  checkPositive([['stride_h', o.strideH], ['stride_w', o.strideW], ['dilation_h', o.dilationH], ['dilation_w', o.dilationW]], env);
  const act = checkActivation(o.activation, env);
  const xi = required(op, 0, env, 'input');
  const w = constantInput(op, 1, env, 'filter');
  if (w.rank !== 4) throw env.fail(`filter must be 4-D [out, h, w, in], got [${w.shape.join(', ')}]`);
  const [outC, kh, kw, inC] = w.shape as [number, number, number, number];
  checkEffectiveKernel(kh, kw, o, env);
  const xC = env.shape(xi)[3];
  if (xC !== undefined && xC !== inC) throw env.fail(`grouped convolution (${xC} input channels, filter takes ${inC}) is not supported`);
  const filter = env.keep(tf.tidy(() => dilateKernel(tf.transpose(w, [1, 2, 3, 0]) as Tensor4D, o.dilationH, o.dilationW)));
  const bias = optionalBias(op, 2, env, outC);
  const strides: [number, number] = [o.strideH, o.strideW];
  const pad = tfjsPadding(o.padding);
  // 1×1, stride 1 (MobileNet's pointwise convs) as a matrix product: same result, and it avoids
  // a oneDNN conv kernel that dies with SIGFPE on some shapes (e.g. 7×7×512 → 1024, TF 2.21 on AMD EPYC).
  // Conv2D was measured against it on MobileNetV2's shapes (224 px, batch 8): no faster forward or backward.
  const pointwise = kh === 1 && kw === 1 && o.strideH === 1 && o.strideW === 1 ? env.keep(tf.reshape(filter, [inC, outC])) : null;
  const post = biasActivation(bias, act);
  return {
    kind: 'conv2d',
    data: [xi],
    run: ([x]) =>
      tf.tidy(() => {
        const x4 = as4d(x!, env);
        // [N,H,W,Cin]·[Cin,Cout] as one broadcast BatchMatMulV2: no reshapes either way.
        return post(pointwise ? tf.matMul(x4, pointwise) : tf.conv2d(x4, filter, strides, pad));
      }),
  };
};

const depthwiseConv2d: Builder = (op, env) => {
  const o = S.depthwiseConv2dOptions(op);
  checkPositive([['stride_h', o.strideH], ['stride_w', o.strideW], ['dilation_h', o.dilationH], ['dilation_w', o.dilationW]], env);
  const act = checkActivation(o.activation, env);
  const xi = required(op, 0, env, 'input');
  const w = constantInput(op, 1, env, 'filter');
  if (w.rank !== 4 || w.shape[0] !== 1) throw env.fail(`depthwise filter must be [1, h, w, channels × multiplier], got [${w.shape.join(', ')}]`);
  const [, kh, kw, outC] = w.shape as [number, number, number, number];
  checkEffectiveKernel(kh, kw, o, env);
  const inC = env.shape(xi)[3];
  if (inC === undefined || inC <= 0) throw env.fail('input channel count unknown');
  // The multiplier follows from the shapes (the option is 0 or stale in some files).
  const mult = outC / inC;
  if (!Number.isInteger(mult)) throw env.fail(`filter has ${outC} channels, not a multiple of the ${inC} input channels`);
  if (o.depthMultiplier > 0 && o.depthMultiplier !== mult) throw env.fail(`depth_multiplier ${o.depthMultiplier} disagrees with the filter shape (${outC}/${inC})`);
  // TFLite output channel c·M + m ⇔ tfjs filter [h, w, c, m].
  const filter = env.keep(tf.tidy(() => dilateKernel(tf.reshape(w, [kh, kw, inC, mult]) as Tensor4D, o.dilationH, o.dilationW)));
  const bias = optionalBias(op, 2, env, outC);
  const strides: [number, number] = [o.strideH, o.strideW];
  const pad = tfjsPadding(o.padding);
  const post = biasActivation(bias, act);
  return {
    kind: 'depthwise_conv2d',
    data: [xi],
    run: ([x]) => tf.tidy(() => post(tf.depthwiseConv2d(as4d(x!, env), filter, strides, pad))),
  };
};

function pool(kind: 'avg' | 'max'): Builder {
  return (op, env) => {
    const o = S.pool2dOptions(op);
    checkPositive([['stride_h', o.strideH], ['stride_w', o.strideW], ['filter_height', o.filterH], ['filter_width', o.filterW]], env);
    const act = checkActivation(o.activation, env);
    // tfjs pools call TF's own kernels (native) or follow its conv_util: SAME averages exclude the padding, as in TFLite.
    const pad = tfjsPadding(o.padding);
    const f = kind === 'avg' ? tf.avgPool : tf.maxPool;
    return {
      kind: `${kind}_pool`,
      data: [required(op, 0, env, 'input')],
      run: ([x]) => tf.tidy(() => activate(f(as4d(x!, env), [o.filterH, o.filterW], [o.strideH, o.strideW], pad), act)),
    };
  };
}

const fullyConnected: Builder = (op, env) => {
  const o = S.fullyConnectedOptions(op);
  if (o.weightsFormat !== 0) throw env.fail(`shuffled weights format ${o.weightsFormat} is not supported`);
  const act = checkActivation(o.activation, env);
  const w = constantInput(op, 1, env, 'weights');
  if (w.rank !== 2) throw env.fail(`weights must be 2-D [out, in], got [${w.shape.join(', ')}]`);
  const [outC, inC] = w.shape as [number, number];
  const wT = env.keep(tf.transpose(w));
  const bias = optionalBias(op, 2, env, outC);
  return {
    kind: 'dense',
    data: [required(op, 0, env, 'input')],
    run: ([x]) =>
      tf.tidy(() => {
        if (x!.size % inC !== 0) throw env.fail(`input of ${x!.size} values does not split into rows of ${inC}`);
        let y: Tensor = tf.matMul(tf.reshape(x!, [-1, inC]), wT);
        if (bias) y = tf.add(y, bias);
        if (o.keepNumDims) y = tf.reshape(y, [...x!.shape.slice(0, -1), outC]);
        return activate(y, act);
      }),
  };
};

function binary(kind: string, f: (a: Tensor, b: Tensor) => Tensor, fused: boolean): Builder {
  return (op, env) => {
    const act = fused ? checkActivation(S.binaryActivation(op), env) : 0;
    return {
      kind,
      data: [required(op, 0, env, 'first operand'), required(op, 1, env, 'second operand')],
      run: ([a, b]) => tf.tidy(() => activate(f(a!, b!), act)),
    };
  };
}

function unary(kind: string, f: (x: Tensor) => Tensor): Builder {
  return (op, env) => ({ kind, data: [required(op, 0, env, 'input')], run: ([x]) => tf.tidy(() => f(x!)) });
}

/** QUANTIZE / DEQUANTIZE: the graph runs in float, so these pass values through. */
function identity(kind: string): Builder {
  return (op, env) => ({ kind, data: [required(op, 0, env, 'input')], run: ([x]) => x! });
}

const concatenation: Builder = (op, env) => {
  const o = S.concatenationOptions(op);
  const act = checkActivation(o.activation, env);
  const data = op.inputs.filter((i) => i >= 0);
  if (data.length === 0) throw env.fail('no inputs');
  const rank = env.shape(op.outputs[0]!).length || env.shape(data[0]!).length;
  const axis = normAxis(o.axis, rank, env);
  return { kind: 'concat', data, run: (xs) => tf.tidy(() => activate(tf.concat(xs, axis), act)) };
};

const reshape: Builder = (op, env) => {
  const xi = required(op, 0, env, 'input');
  const out = env.shape(op.outputs[0]!);
  let target: number[];
  if (out.length > 0 && out.every((d) => d > 0)) target = [...out];
  else {
    const si = input(op, 1);
    const fromOpt = S.reshapeNewShape(op);
    if (si >= 0 && env.constant(si)) target = env.ints(si, 'shape');
    else if (fromOpt) target = fromOpt;
    else throw env.fail('output shape unknown (neither a static output shape nor a constant shape input)');
  }
  // Keep the batch dimension free, so the model runs on any batch size.
  const inShape = env.shape(xi);
  if (target.length > 0 && inShape.length > 0 && target[0] === inShape[0] && !target.slice(1).includes(-1)) target[0] = -1;
  return { kind: 'reshape', data: [xi], run: ([x]) => tf.reshape(x!, target) };
};

const squeeze: Builder = (op, env) => {
  const xi = required(op, 0, env, 'input');
  const inShape = env.shape(xi);
  let dims = S.squeezeDims(op).map((d) => normAxis(d, inShape.length, env));
  // No dims: squeeze every size-1 axis except the batch axis.
  if (dims.length === 0) dims = inShape.map((d, i) => (d === 1 && i > 0 ? i : -1)).filter((i) => i >= 0);
  return { kind: 'squeeze', data: [xi], run: ([x]) => tf.squeeze(x!, dims) };
};

function reducer(kind: string, f: (x: Tensor, axes: number[], keep: boolean) => Tensor): Builder {
  return (op, env) => {
    const xi = required(op, 0, env, 'input');
    const rank = env.shape(xi).length;
    const axes = [...new Set(env.ints(required(op, 1, env, 'axes'), 'axes').map((a) => normAxis(a, rank, env)))];
    const keep = S.reducerKeepDims(op);
    return { kind, data: [xi], run: ([x]) => tf.tidy(() => f(x!, axes, keep)) };
  };
}

function pad(v2: boolean): Builder {
  return (op, env) => {
    const xi = required(op, 0, env, 'input');
    const p = env.ints(required(op, 1, env, 'paddings'), 'paddings');
    if (p.length % 2 !== 0 || p.some((v) => v < 0 || v > 65536)) throw env.fail(`invalid paddings [${p.join(', ')}]`);
    const pairs: Array<[number, number]> = [];
    for (let k = 0; k < p.length; k += 2) pairs.push([p[k]!, p[k + 1]!]);
    let value = 0;
    if (v2 && input(op, 2) >= 0) {
      const c = constantInput(op, 2, env, 'constant value');
      if (c.size !== 1) throw env.fail('constant value must be a scalar');
      value = c.dataSync()[0]!;
    }
    return { kind: 'pad', data: [xi], run: ([x]) => tf.pad(x!, pairs, value) };
  };
}

const softmax: Builder = (op, env) => {
  const beta = S.softmaxBeta(op);
  return {
    kind: 'softmax',
    data: [required(op, 0, env, 'input')],
    run: ([x]) => tf.tidy(() => tf.softmax(beta === 1 ? x! : tf.mul(x!, beta))),
  };
};

const leakyRelu: Builder = (op, env) => {
  const alpha = S.leakyReluAlpha(op);
  return { kind: 'leaky_relu', data: [required(op, 0, env, 'input')], run: ([x]) => tf.leakyRelu(x!, alpha) };
};

const prelu: Builder = (op, env) => {
  const alpha = env.keep(constantInput(op, 1, env, 'alpha'));
  return { kind: 'prelu', data: [required(op, 0, env, 'input')], run: ([x]) => tf.prelu(x!, alpha) };
};

const BUILDERS: Record<string, Builder> = {
  CONV_2D: conv2d,
  DEPTHWISE_CONV_2D: depthwiseConv2d,
  FULLY_CONNECTED: fullyConnected,
  AVERAGE_POOL_2D: pool('avg'),
  MAX_POOL_2D: pool('max'),
  ADD: binary('add', tf.add, true),
  SUB: binary('sub', tf.sub, true),
  MUL: binary('mul', tf.mul, true),
  DIV: binary('div', tf.div, true),
  MAXIMUM: binary('maximum', tf.maximum, false),
  MINIMUM: binary('minimum', tf.minimum, false),
  SQUARED_DIFFERENCE: binary('squared_difference', tf.squaredDifference, false),
  CONCATENATION: concatenation,
  RESHAPE: reshape,
  SQUEEZE: squeeze,
  MEAN: reducer('mean', (x, a, k) => tf.mean(x, a, k)),
  SUM: reducer('sum', (x, a, k) => tf.sum(x, a, k)),
  REDUCE_MAX: reducer('reduce_max', (x, a, k) => tf.max(x, a, k)),
  PAD: pad(false),
  PADV2: pad(true),
  SOFTMAX: softmax,
  RELU: unary('relu', (x) => activate(x, S.Activation.RELU)),
  RELU6: unary('relu6', (x) => activate(x, S.Activation.RELU6)),
  RELU_N1_TO_1: unary('relu_n1_to_1', (x) => tf.clipByValue(x, -1, 1)),
  RELU_0_TO_1: unary('relu_0_to_1', (x) => tf.clipByValue(x, 0, 1)),
  LOGISTIC: unary('sigmoid', (x) => tf.sigmoid(x)),
  TANH: unary('tanh', (x) => tf.tanh(x)),
  HARD_SWISH: unary('hard_swish', (x) => tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6)),
  LEAKY_RELU: leakyRelu,
  PRELU: prelu,
  QUANTIZE: identity('quantize'),
  DEQUANTIZE: identity('dequantize'),
};

export const SUPPORTED_TFLITE_OPS: readonly string[] = Object.keys(BUILDERS).sort();

export function isSupportedOp(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILDERS, name);
}

/** Builds the tfjs function of one operator; `opName` must be supported (see isSupportedOp). */
export function buildOp(opName: string, op: S.TfliteOperator, env: OpEnv): BuiltOp {
  const b = BUILDERS[opName];
  if (!b) throw env.fail(`unsupported operator ${opName}`);
  return b(op, env);
}

/** Ops whose run-time dependencies are only some of their inputs (RESHAPE ignores a computed shape input when the output shape is static). */
export function dataDependencies(opName: string, op: S.TfliteOperator, outShape: number[]): number[] {
  if (opName === 'RESHAPE' && outShape.length > 0 && outShape.every((d) => d > 0)) return op.inputs.slice(0, 1);
  return op.inputs.filter((i) => i >= 0);
}
