/**
 * Child process for the kill -9 resume test: mines exemplars into a store,
 * sleeping after each committed batch so the parent can kill it mid-run.
 * Usage: node --import tsx test/helpers/mineChild.ts <model> <store> <imageRoot> <limit> <batchSize> <size> <delayMs> <layer,layer…>
 */
import { mineExemplars } from '../../src/exemplars/mine.js';
import { loadModel } from '../../src/models/load.js';

async function main(): Promise<void> {
  const [modelPath, store, root, limit, batchSize, size, delayMs, layers] = process.argv.slice(2);
  if (!modelPath || !store || !root || !limit || !batchSize || !size || !delayMs || !layers) {
    throw new Error('usage: mineChild <model> <store> <root> <limit> <batchSize> <size> <delayMs> <layers>');
  }
  const model = await loadModel(modelPath);
  const s = Number(size);
  const r = await mineExemplars({
    model,
    layers: layers.split(','),
    images: { root, limit: Number(limit) },
    size: [s, s],
    batchSize: Number(batchSize),
    store,
    onProgress: () => new Promise<void>((res) => setTimeout(res, Number(delayMs))),
  });
  process.stdout.write(`${JSON.stringify({ mined: r.mined, complete: r.complete })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
