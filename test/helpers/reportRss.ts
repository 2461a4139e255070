/** Preloaded into measured children (see measured.ts): prints the process's peak RSS on stderr at exit. */
import fs from 'node:fs';

process.on('exit', () => {
  try {
    fs.writeSync(2, `\n@@featvis-maxrss-kb ${process.resourceUsage().maxRSS}\n`);
  } catch {
    // stderr closed: nothing to report to
  }
});
