/**
 * Child process for hostile-input tests (run through measured.ts, which adds
 * the peak RSS): opens one input with one featvis reader and prints a JSON
 * line {outcome, message, ...}. outcome is 'ok', 'FeatvisError' or 'other'.
 *   pth <file> [options JSON]     readTorchStateDict
 *   tfjs <model.json | folder>    readTfjsArtifacts
 *   images <folder>               walkImages
 */
import { FeatvisError } from '../../src/core/errors.js';

async function run(kind: string, args: string[]): Promise<Record<string, unknown>> {
  switch (kind) {
    case 'pth': {
      const { readTorchStateDict } = await import('../../src/io/pth.js');
      const sd = readTorchStateDict(args[0]!, args[1] ? (JSON.parse(args[1]) as object) : {});
      return { tensors: sd.size };
    }
    case 'tfjs': {
      const { readTfjsArtifacts } = await import('../../src/models/tfjsFiles.js');
      const a = await readTfjsArtifacts(args[0]!);
      const wd = a.weightData;
      return { weightBytes: wd instanceof ArrayBuffer ? wd.byteLength : null };
    }
    case 'images': {
      const { walkImages } = await import('../../src/data/folder.js');
      const r = walkImages(args[0]!);
      return { entries: r.entries.map((e) => e.id), skipped: r.skipped.map((s) => ({ id: s.id, reason: s.reason })) };
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

const [kind, ...args] = process.argv.slice(2);
const started = performance.now();
let line: Record<string, unknown>;
try {
  line = { outcome: 'ok', ...(await run(kind!, args)) };
} catch (err) {
  line = { outcome: err instanceof FeatvisError ? 'FeatvisError' : 'other', message: err instanceof Error ? err.message : String(err) };
}
line.ms = performance.now() - started;
process.stdout.write(`${JSON.stringify(line)}\n`);
