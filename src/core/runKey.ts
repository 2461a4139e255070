/**
 * Run keys: every resumable job (AM runs, sweeps, exemplar mining, training)
 * stores the key of what determines its results and refuses to resume under
 * another. One hash for all of them: sha256 of the JSON of the parts, 16 hex.
 */
import crypto from 'node:crypto';

export function runKey(parts: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
