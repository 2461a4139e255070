/**
 * featvis command line: a thin shell over src (see --help). Help and --version
 * load no TensorFlow: every command's options and help live in its spec module
 * (commands.ts), and its code loads only when it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closestNames, editDistance, FeatvisError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
import { COMMANDS, commandSpecs } from './commands.js';
import { formatHelp, parseCommand } from './options.js';

export function version(): string {
  const pj = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pj.version ?? 'unknown';
}

/** `featvis --help`: every command with its one-line summary. */
export async function topHelp(): Promise<string> {
  const specs = await commandSpecs();
  const w = Math.max(...specs.map((s) => s.name.length));
  return [
    'featvis — what do the channels of a CNN respond to?',
    '',
    'usage: featvis <command> [options]      featvis <command> --help      featvis --version',
    '',
    ...specs.map((s) => `  featvis ${s.name.padEnd(w)}  ${s.summary}`),
    '',
    'Set FEATVIS_DEBUG=1 for stack traces and TensorFlow\'s own log lines.',
  ].join('\n');
}

const HELP_FLAGS = new Set(['--help', '-h']);

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--version' || cmd === '-V') {
    console.log(`featvis ${version()}`);
    return 0;
  }
  if (!cmd || HELP_FLAGS.has(cmd) || cmd === 'help') {
    const sub = cmd === 'help' ? rest[0] : undefined;
    const load = sub !== undefined && Object.hasOwn(COMMANDS, sub) ? COMMANDS[sub] : undefined;
    if (load) console.log(formatHelp((await load()).spec));
    else if (cmd) console.log(await topHelp());
    else console.error(await topHelp());
    return cmd ? 0 : 2;
  }
  const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!load) {
    const near = closestNames(cmd, Object.keys(COMMANDS), 1).find((n) => editDistance(cmd, n) <= Math.max(1, Math.floor(cmd.length / 3)));
    console.error(`featvis: unknown command '${cmd}'${near ? ` (did you mean '${near}'?)` : ''}; \`featvis --help\` lists them.`);
    return 2;
  }
  const { spec } = await load();
  try {
    if (rest.some((a) => HELP_FLAGS.has(a))) {
      console.log(formatHelp(spec));
      return 0;
    }
    const { args } = parseCommand(spec, rest);
    const code = await (await spec.load()).run(args);
    return typeof code === 'number' ? code : 0;
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

/** Runs `featvis` with `argv` and sets the exit code (the entry point of bin/featvis.mjs). */
export async function runCli(argv: readonly string[]): Promise<void> {
  process.exitCode = await main(argv);
}

// `node --import tsx src/cli/main.ts …` (tests, npm scripts) runs it directly.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void runCli(process.argv.slice(2));
