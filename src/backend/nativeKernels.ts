/**
 * TensorFlow's own gradient kernels for ReLU and ReLU6 (ReluGrad, Relu6Grad),
 * registered as tfjs kernels on the native backend: one kernel each, where a
 * composed mask takes three (ReLU: Greater, Cast, Multiply) or five (ReLU6:
 * Greater, LessEqual, LogicalAnd, Cast, Multiply) full-size passes. Running
 * through tfjs's engine (not the binding directly) keeps them in tidy scopes
 * and in tf.profile.
 *
 * Both take the op's OUTPUT y, as TensorFlow allows, so the pre-activation
 * need not be kept for the backward pass:
 *   reluGrad(dy, y)  = dy · [y > 0]       (= dy · [x > 0]: tfjs's and TF's ReLU gradient)
 *   relu6Grad(dy, y) = dy · [0 < y < 6]   (= dy · [0 < x < 6]: TensorFlow's and PyTorch's
 *                                          ReLU6 gradient; tfjs's own passes x = 6 exactly too)
 * Other backends (the pure-JS fallback) get the same values from masks.
 */
import type { Tensor, TensorInfo, Tf } from './tf.js';

export const RELU_GRAD_KERNEL = 'FeatvisReluGrad';
export const RELU6_GRAD_KERNEL = 'FeatvisRelu6Grad';

/** The slice of tfjs-node's NodeJSKernelBackend used here. */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(op: string, attrs: Array<{ name: string; type: number; value: number }>, inputs: TensorInfo[]): TensorInfo;
}

function isNative(b: unknown): b is NativeBackend {
  const nb = b as Partial<NativeBackend> | null;
  return !!nb && typeof nb.executeSingleOutput === 'function' && typeof nb.binding?.TF_ATTR_TYPE === 'number';
}

let tfRef: Tf | null = null;
let native = false;

/** Registers the kernels on the `tensorflow` backend when it is in use (idempotent). */
export function installNativeKernels(tf: Tf): void {
  tfRef = tf;
  if (tf.getBackend() !== 'tensorflow' || !isNative(tf.backend())) return;
  for (const [kernelName, op] of [
    [RELU_GRAD_KERNEL, 'ReluGrad'],
    [RELU6_GRAD_KERNEL, 'Relu6Grad'],
  ] as const) {
    if (tf.getKernel(kernelName, 'tensorflow')) continue;
    tf.registerKernel({
      kernelName,
      backendName: 'tensorflow',
      kernelFunc: ({ inputs, backend }) => {
        const be = backend as unknown as NativeBackend;
        const { dy, y } = inputs as unknown as { dy: TensorInfo; y: TensorInfo };
        return be.executeSingleOutput(op, [{ name: 'T', type: be.binding.TF_ATTR_TYPE, value: be.binding.TF_FLOAT }], [dy, y]);
      },
    });
  }
  native = true;
}

function useNative(t: Tf, dy: Tensor, y: Tensor): boolean {
  return native && t.getBackend() === 'tensorflow' && dy.dtype === 'float32' && y.dtype === 'float32';
}

function lib(): Tf {
  if (!tfRef) throw new Error('nativeKernels: installNativeKernels was not called');
  return tfRef;
}

/** dy · [y > 0], y the ReLU's output (or input). */
export function reluGrad(dy: Tensor, y: Tensor): Tensor {
  const t = lib();
  if (useNative(t, dy, y)) return t.engine().runKernel(RELU_GRAD_KERNEL, { dy, y }) as Tensor;
  return t.tidy(() => t.mul(dy, t.cast(t.greater(y, 0), dy.dtype)));
}

/** dy · [0 < y < 6], y the ReLU6's output (or input). */
export function relu6Grad(dy: Tensor, y: Tensor): Tensor {
  const t = lib();
  if (useNative(t, dy, y)) return t.engine().runKernel(RELU6_GRAD_KERNEL, { dy, y }) as Tensor;
  return t.tidy(() => t.mul(dy, t.cast(t.logicalAnd(t.greater(y, 0), t.less(y, 6)), dy.dtype)));
}
