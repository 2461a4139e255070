/** featvis command line: a thin shell over src (see --help). */
import { FeatvisError } from '../core/errors.js';
import { runAm, AM_HELP } from './am.js';
import { doctorReport } from './doctor.js';
import { runDream, DREAM_HELP } from './dream.js';
import { runIdentify } from './identify.js';
import { runLayers } from './layers.js';
import { runLpips } from './lpips.js';
import { runScore } from './score.js';
import { runReport, runSweepCli } from './sweep.js';
import { runStudyCli } from './study.js';
import { runTop9 } from './top9.js';
import { runTrain } from './train.js';

const HELP = `featvis — what do the channels of a CNN respond to?

  featvis am      activation maximisation for channels of a layer
  featvis dream   DeepDream on a photo
  featvis layers  list a model's layers and shapes
  featvis top9    top-9 dataset exemplars per channel (resumable mining) + contact sheets
  featvis lpips   perceptual distance between two images
  featvis score   interpretability of an AM run: distance to the top-9, controls, identification
  featvis identify  channel-identification accuracy of AM images and controls, per offline metric
  featvis sweep   regularisation sweep from a config file (resumable) + report
  featvis report  (re)write a sweep's report
  featvis study   the reference study end to end from one config (DeepDream, exemplars, AM, sweep, report)
  featvis train   retrain the embedded model (featvis-imagenette) on Imagenette
  featvis doctor  backend, TensorFlow version, threads
  Run \`featvis <command> --help\` for options.
`;

type Command = (argv: readonly string[]) => Promise<void>;

const commands: Record<string, Command> = {
  am: runAm,
  dream: runDream,
  layers: runLayers,
  top9: runTop9,
  lpips: runLpips,
  score: runScore,
  identify: runIdentify,
  sweep: runSweepCli,
  report: runReport,
  study: runStudyCli,
  atlas: (argv) => import('./atlas.js').then((m) => m.runAtlasCli(argv)),
  train: async (argv) => {
    const code = await runTrain([...argv]);
    if (code !== 0) process.exitCode = code;
  },
  doctor: async () => {
    for (const [k, v] of Object.entries(doctorReport())) console.log(`${k.padEnd(16)} ${v}`);
  },
};

export function registerCommand(name: string, fn: Command): void {
  commands[name] = fn;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(HELP);
    return cmd ? 0 : 2;
  }
  const fn = commands[cmd];
  if (!fn) {
    console.error(`featvis: unknown command '${cmd}'.\n\n${HELP}`);
    return 2;
  }
  try {
    await fn(rest);
    return 0;
  } catch (err) {
    if (err instanceof FeatvisError) {
      console.error(`featvis ${cmd}: ${err.message}`);
      return 1;
    }
    // Anything else is a bug or an environment problem: one readable line, the stack on request.
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`featvis ${cmd}: unexpected error: ${msg}`);
    if (process.env.FEATVIS_DEBUG) console.error(err);
    else console.error('(set FEATVIS_DEBUG=1 to see the stack trace; please report it)');
    return 1;
  }
}

void AM_HELP;
void DREAM_HELP;
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
