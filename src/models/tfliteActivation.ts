/**
 * TFLite fused activations (ActivationFunctionType) as featvis runs them, with
 * the bias add fused in: the op builders of tfliteOps.ts call these.
 */
import { relu6Grad, reluGrad } from '../backend/nativeKernels.js';
import { tf, type Tensor } from '../backend/tf.js';
import * as S from '../io/tfliteSchema.js';

/**
 * relu / relu6 whose backward pass is one TensorFlow kernel (ReluGrad,
 * Relu6Grad; nativeKernels.ts) fed with the op's output, so the tape keeps no
 * pre-activation. tfjs differentiates them through `step(x)`, which tfjs-node
 * runs as isNaN + greater + full-size ones() and fill() tensors + Select: in an
 * AM step of MobileNetV2 those were two thirds of the kernel time
 * (bench/am-step-vs-torch.ts). Gradients: dy·[x > 0] and dy·[0 < x < 6]
 * (TensorFlow's convention, which the .tflite's source model trained with).
 * These are the graph's own activations: render()'s ReLU redirect
 * (fastGradients.ts) does not apply to them.
 */
export type Post = (x: Tensor) => Tensor;

/** `forward` as one differentiable op of x whose gradient is `grad(dy, output)`; the output is what the tape keeps. */
function outputGrad(forward: Post, grad: (dy: Tensor, y: Tensor) => Tensor): Post {
  const f = tf.customGrad((...args) => {
    const x = args[0] as Tensor;
    const save = args[1] as (ts: Tensor[]) => void;
    const y = forward(x);
    save([y]);
    return { value: y, gradFunc: (dy: Tensor, saved: Tensor[]) => grad(dy, saved[0]!) };
  });
  return (x) => f(x);
}

/**
 * x + bias (a constant of the model), then the fused activation, as one op:
 * for RELU / RELU6 the backward pass is the activation's gradient kernel alone,
 * with no bias gradient and none of the reshapes tfjs's broadcasting Add
 * gradient makes. Other activations run as plain tfjs ops.
 */
export function biasActivation(bias: Tensor | null, act: number): Post {
  const add: Post = bias ? (x) => tf.add(x, bias) : (x) => x;
  switch (act) {
    case S.Activation.RELU:
      return outputGrad((x) => tf.tidy(() => tf.relu(add(x))), reluGrad);
    case S.Activation.RELU6:
      return outputGrad((x) => tf.tidy(() => tf.relu6(add(x))), relu6Grad);
    case S.Activation.RELU_N1_TO_1:
      return (x) => tf.tidy(() => tf.clipByValue(add(x), -1, 1));
    case S.Activation.TANH:
      return (x) => tf.tidy(() => tf.tanh(add(x)));
    default:
      if (!bias) return (x) => x;
      return tf.customGrad((...args) => {
        const x = args[0] as Tensor;
        return { value: add(x), gradFunc: (dy: Tensor) => tf.clone(dy) };
      }) as Post;
  }
}

const ACTIVATIONS = new Map<number, Post>();

/** A TFLite fused activation (ActivationFunctionType) as featvis runs it. */
export function activate(x: Tensor, act: number): Tensor {
  let f = ACTIVATIONS.get(act);
  if (!f) ACTIVATIONS.set(act, (f = biasActivation(null, act)));
  return f(x);
}
