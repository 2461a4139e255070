/** Runs the small sweep into argv[2] (used by the kill -9 test). */
import { runSweep } from '../../src/experiments/sweep.js';
import { smallSweepConfig } from './sweepFixture.js';

const out = process.argv[2];
if (!out) throw new Error('usage: sweepChild <outDir>');
void runSweep(smallSweepConfig(), { outDir: out }).then(() => process.exit(0));
