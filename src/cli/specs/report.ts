/** `featvis report`: options and help (no TensorFlow here; the code is ../report.ts). */
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'report',
  summary: "(re)write a sweep's report.html, best.png and CSV tables",
  usage: '<sweep dir>',
  positionals: { min: 1, max: 1, missing: 'give a sweep folder' },
  options: {},
  load: () => import('../report.js'),
};
