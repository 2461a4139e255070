/**
 * The one place featvis loads TensorFlow.js.
 *
 * Prefers the native binding (@tensorflow/tfjs-node, oneDNN on CPU; or
 * @tensorflow/tfjs-node-gpu when FEATVIS_BACKEND=gpu), and falls back to the
 * pure-JS `cpu` backend with a loud warning when no native backend loads.
 * Every other module imports `tf` from here, never from a tfjs package.
 */
import { createRequire } from 'node:module';
import { installFastGradients } from './fastGradients.js';
import { installNativeKernels } from './nativeKernels.js';

export type Tf = typeof import('@tensorflow/tfjs');
export type ModelArtifacts = import('@tensorflow/tfjs').io.ModelArtifacts;
export type WeightsManifestEntry = import('@tensorflow/tfjs').io.WeightsManifestEntry;
export type {
  Tensor,
  TensorInfo,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Scalar,
  Variable,
  Rank,
  LayersModel,
  GraphModel,
} from '@tensorflow/tfjs';

export interface BackendInfo {
  /** Package that provided the backend. */
  package: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs';
  /** tfjs backend name (`tensorflow` when native). */
  backend: string;
  native: boolean;
  /** TensorFlow C library version, when native. */
  tfVersion: string | null;
  tfjsVersion: string;
  /** Why the native backend is not in use, when it is not. */
  fallbackReason: string | null;
  /** Whether TensorFlow's oneDNN kernels are on (native CPU only). */
  oneDNN: boolean | null;
}

// Silence TensorFlow's C++ start-up chatter unless the user asked for it.
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
// FEATVIS_ONEDNN=0 turns TensorFlow's oneDNN kernels off (must happen before the
// library loads). Slower, but a way out of oneDNN bugs: TF 2.21's oneDNN was
// seen to die with SIGFPE on some 1×1 convolutions (e.g. 7×7×512 → 1024) on AMD
// EPYC CPUs; featvis's TFLite importer runs 1×1 convolutions as matmuls for that reason.
if (process.env.FEATVIS_ONEDNN === '0') process.env.TF_ENABLE_ONEDNN_OPTS = '0';

const require = createRequire(import.meta.url);

function load(): { tf: Tf; info: BackendInfo } {
  const wanted = (process.env.FEATVIS_BACKEND ?? 'auto').toLowerCase();
  const reasons: string[] = [];
  const candidates: Array<BackendInfo['package']> =
    wanted === 'cpu' || wanted === 'js'
      ? []
      : wanted === 'gpu'
        ? ['@tensorflow/tfjs-node-gpu']
        : ['@tensorflow/tfjs-node'];
  for (const pkg of candidates) {
    try {
      // tfjs-node is CommonJS; require() keeps its native addon on one instance.
      const mod = require(pkg) as Tf & { version: Record<string, string> };
      const tfVersion = readTfVersion(mod);
      return {
        tf: mod,
        info: {
          package: pkg,
          backend: mod.getBackend(),
          native: true,
          tfVersion,
          tfjsVersion: mod.version.tfjs ?? mod.version['tfjs-core'] ?? 'unknown',
          fallbackReason: null,
          oneDNN: process.env.TF_ENABLE_ONEDNN_OPTS !== '0',
        },
      };
    } catch (err) {
      reasons.push(`${pkg}: ${firstLine(err)}`);
    }
  }
  const mod = require('@tensorflow/tfjs') as Tf & { version: Record<string, string> };
  // In Node the first registered backend that initialises is `cpu`.
  void mod.setBackend('cpu');
  const reason = wanted === 'cpu' || wanted === 'js' ? 'FEATVIS_BACKEND=cpu' : reasons.join('; ');
  if (wanted !== 'cpu' && wanted !== 'js' && !process.env.FEATVIS_QUIET_FALLBACK) {
    process.stderr.write(
      `\n${'!'.repeat(78)}\nfeatvis: WARNING: native TensorFlow backend unavailable (${reason}).\n` +
        `featvis is running on the pure-JS CPU backend, 10-100x slower.\n` +
        `Fix: run \`node environment/setup-tfjs-node.mjs\` (see README, "Installing").\n${'!'.repeat(78)}\n\n`,
    );
  }
  return {
    tf: mod,
    info: {
      package: '@tensorflow/tfjs',
      backend: mod.getBackend(),
      native: false,
      tfVersion: null,
      tfjsVersion: mod.version.tfjs ?? 'unknown',
      fallbackReason: reason,
      oneDNN: null,
    },
  };
}

function readTfVersion(mod: unknown): string | null {
  const backend = (mod as { backend?: () => unknown }).backend?.();
  const binding = (backend as { binding?: { TF_Version?: string } } | undefined)?.binding;
  return typeof binding?.TF_Version === 'string' ? binding.TF_Version : null;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

// Synchronous on purpose: no top-level await, so CommonJS hosts (tslab
// notebooks, require(esm)) can load featvis.
const loaded = load();
installNativeKernels(loaded.tf);
installFastGradients(loaded.tf);

/** The TensorFlow.js namespace featvis computes with. */
export const tf: Tf = loaded.tf;

/** What backend is in use and why. */
export function backendInfo(): BackendInfo {
  return { ...loaded.info, backend: tf.getBackend() };
}
