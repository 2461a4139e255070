/** Preloaded into CLI children (cliHelp.test.ts): says on stderr at exit whether TensorFlow.js was loaded in this process. */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const cache = createRequire(import.meta.url).cache;

process.on('exit', () => {
  const loaded = Object.keys(cache).some((f) => f.includes(`${'@tensorflow'}/tfjs`));
  try {
    fs.writeSync(2, `@@featvis-tensorflow ${loaded ? 1 : 0}\n`);
  } catch {
    // stderr closed
  }
});
