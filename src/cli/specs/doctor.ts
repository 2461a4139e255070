/** `featvis doctor`: options and help (no TensorFlow here; the code is ../doctor.ts). */
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'doctor',
  summary: 'backend, TensorFlow version, threads, native or not, and a matmul smoke test',
  usage: '',
  options: {},
  load: () => import('../doctor.js'),
};
