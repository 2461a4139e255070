/** `featvis doctor`: what the backend is, and whether it computes. */
import os from 'node:os';
import { backendInfo, tf } from '../backend/tf.js';

/** What `featvis doctor` prints: backend, versions, threads, native or not. */
export function doctorReport(): Record<string, string | number | boolean | null> {
  const info = backendInfo();
  const t0 = Date.now();
  const a = tf.randomNormal([512, 512]);
  const c = tf.matMul(a, a);
  c.dataSync();
  tf.dispose([a, c]);
  return {
    package: info.package,
    backend: info.backend,
    native: info.native,
    tensorflow: info.tfVersion,
    tfjs: info.tfjsVersion,
    fallbackReason: info.fallbackReason,
    oneDNN: info.oneDNN,
    cpus: os.cpus().length,
    interOpThreads: process.env.TF_NUM_INTEROP_THREADS ?? 'default',
    intraOpThreads: process.env.TF_NUM_INTRAOP_THREADS ?? 'default',
    node: process.version,
    smokeMatmulMs: Date.now() - t0,
  };
}

export async function run(): Promise<void> {
  for (const [k, v] of Object.entries(doctorReport())) console.log(`${k.padEnd(16)} ${v}`);
}
