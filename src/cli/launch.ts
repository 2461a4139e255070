/**
 * How bin/featvis.mjs runs featvis. Help and --version answer in this process
 * (no TensorFlow). A command runs in a child process whose stderr passes
 * through TfLogFilter, which drops the log lines TensorFlow's native library
 * prints as it loads; stdout, stdin and exit codes pass through unchanged, and
 * Ctrl-C reaches the child (training writes its checkpoint). FEATVIS_DEBUG=1
 * runs the command in this process with every line TensorFlow prints.
 */
import { spawn } from 'node:child_process';
import { runCli } from './main.js';
import { TfLogFilter } from './tfLog.js';

/** Set in the child so it runs the command itself. */
export const CHILD_ENV = 'FEATVIS_CLI_CHILD';
/** The terminal width of the parent's stderr, when it is a terminal (progress bars draw in place). */
export const TTY_COLUMNS_ENV = 'FEATVIS_STDERR_COLUMNS';

/** Whether argv only asks for help or the version (answered without TensorFlow). */
export function answersWithoutTensorflow(argv: readonly string[]): boolean {
  const [cmd] = argv;
  return !cmd || cmd === 'help' || cmd === '--version' || cmd === '-V' || argv.some((a) => a === '--help' || a === '-h');
}

function runFiltered(launcher: string, argv: readonly string[]): void {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: '1' };
  if (process.stderr.isTTY) env[TTY_COLUMNS_ENV] = String(process.stderr.columns ?? 80);
  const child = spawn(process.execPath, [...process.execArgv, launcher, ...argv], { stdio: ['inherit', 'inherit', 'pipe'], env });
  const filter = new TfLogFilter();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    const out = filter.push(d);
    if (out) process.stderr.write(out);
  });
  child.stderr.on('end', () => {
    const out = filter.end();
    if (out) process.stderr.write(out);
  });
  // The terminal sends Ctrl-C to both processes: the child decides what it means.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    process.stderr.write(`featvis: cannot start the command: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('close', (code, signal) => {
    process.off('SIGINT', ignore);
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 1);
  });
}

/** The launcher's entry point: `launcher` is bin/featvis.mjs's own path. */
export async function launch(launcher: string, argv: readonly string[]): Promise<void> {
  if (process.env[CHILD_ENV] || process.env.FEATVIS_DEBUG || answersWithoutTensorflow(argv)) return runCli(argv);
  runFiltered(launcher, argv);
}
