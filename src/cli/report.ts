/** `featvis report <dir>`: (re)writes a sweep's report.html, best.png and CSV tables. */
import { writeSweepReport } from '../experiments/report.js';
import type { CommandArgs } from './options.js';

export async function run(a: CommandArgs): Promise<void> {
  const { html } = await writeSweepReport(a.positionals[0]!);
  console.log(`report: ${html}`);
}
