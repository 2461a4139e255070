/**
 * Child process for the atlas kill -9 test: runs the small atlas into argv[2],
 * pausing after each finished channel so the parent can kill it mid-run.
 * Usage: node --import tsx test/helpers/atlasChild.ts <outDir> <delayMs>
 */
import { runAtlas } from '../../src/atlas/job.js';
import { smallAtlasOptions } from './atlasFixture.js';
import { tinyMobilenet } from './models.js';

async function main(): Promise<void> {
  const [out, delay] = process.argv.slice(2);
  if (!out || !delay) throw new Error('usage: atlasChild <outDir> <delayMs>');
  const model = await tinyMobilenet();
  let finished = -1;
  await runAtlas(
    smallAtlasOptions(model, out, {
      onProgress: async (p) => {
        if (p.phase !== 'am' || !p.channels || p.channels.done === finished) return;
        finished = p.channels.done;
        await new Promise((r) => setTimeout(r, Number(delay)));
      },
    }),
  );
  process.stdout.write('done\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
