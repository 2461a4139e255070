/**
 * Weight fingerprints: resumable jobs (AM runs, exemplar stores, sweeps) key
 * on the model's weights, not only its name, so retrained or replaced weights
 * under the same name never resume results computed with the old ones.
 */
import crypto from 'node:crypto';
import type { FeatModel } from '../core/types.js';

/** sha256 of the weight bytes, 16 hex digits. */
export function weightsFingerprint(chunks: readonly (ArrayBuffer | Uint8Array)[]): string {
  const h = crypto.createHash('sha256');
  for (const c of chunks) h.update(c instanceof Uint8Array ? c : new Uint8Array(c));
  return h.digest('hex').slice(0, 16);
}

/** Sets a model's fingerprint after loading (for loaders that see only a file). */
export function attachFingerprint<M extends FeatModel>(model: M, fingerprint: string): M {
  Object.defineProperty(model, 'fingerprint', { value: fingerprint, enumerable: true, writable: false, configurable: false });
  return model;
}

/** Identity of a model for run keys: its name plus, when known, its weights. */
export function modelIdentity(model: Pick<FeatModel, 'name' | 'fingerprint'>): string {
  return model.fingerprint ? `${model.name}#${model.fingerprint}` : model.name;
}
