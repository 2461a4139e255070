/**
 * The command line as people meet it (issue 15, items 7 and 8): `--help` of
 * every command and `--version` answer without loading TensorFlow (and say
 * how long they took: the bench line), one parser for every command, no
 * TensorFlow log lines in normal output, the README's command table matches
 * the CLI, and `featvis predict` gives the TFLite interpreter's top-1 classes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { commandSpecs, COMMANDS } from '../src/cli/commands.js';
import { CommandArgs, formatHelp, parseCommand, type CommandSpec } from '../src/cli/options.js';
import { commandTable, withCommandTable } from '../src/cli/readmeTable.js';
import { isTfLogLine, TfLogFilter } from '../src/cli/tfLog.js';
import { FeatvisError } from '../src/core/errors.js';
import { TRANSFORM_PRESET_NAMES } from '../src/optvis/amDefaults.js';
import { TRANSFORM_PRESETS } from '../src/optvis/transforms.js';
import { repoRoot, sharedDir, skipWithoutShared } from './helpers/python.js';

const BIN = path.join(repoRoot, 'bin', 'featvis.mjs');
const REPORT_TF = path.join(repoRoot, 'test', 'helpers', 'reportTensorflow.ts');

/** Runs the CLI like a user (bin/featvis.mjs) with a preload that reports whether TensorFlow.js was loaded. */
function featvis(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string; err: string; seconds: number; loadedTf: boolean } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', REPORT_TF, BIN, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, FEATVIS_DEBUG: '', ...env },
  });
  const seconds = (performance.now() - t0) / 1000;
  const tag = /@@featvis-tensorflow (\d)\n/g;
  // The last report is the launcher's own (a command's child process reports first, through it).
  const loadedTf = [...r.stderr.matchAll(tag)].at(-1)?.[1] === '1';
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr.replace(tag, ''), seconds, loadedTf };
}

describe('help and version without TensorFlow', () => {
  test('every command answers --help (and -h, `help <command>`) from its spec, without loading TensorFlow', async (t) => {
    const specs = await commandSpecs();
    assert.ok(specs.length >= 12, 'am, dream, layers, predict, top9, lpips, score, identify, sweep, report, train, doctor');
    const times: string[] = [];
    for (const spec of specs) {
      const r = featvis([spec.name, '--help']);
      assert.equal(r.code, 0, `${spec.name}: ${r.err}`);
      assert.equal(r.loadedTf, false, `featvis ${spec.name} --help loaded TensorFlow`);
      const lines = r.out.split('\n');
      assert.equal(lines[0], `featvis ${spec.name} — ${spec.summary}`, 'first line: the command and what it does');
      assert.match(r.out, new RegExp(`^usage: featvis ${spec.name}`, 'm'));
      for (const name of Object.keys(spec.options)) assert.match(r.out, new RegExp(`--(\\[no-\\])?${name}\\b`), `${spec.name} --help lists --${name}`);
      assert.equal(r.out, `${formatHelp(spec)}\n`);
      times.push(`${spec.name} ${r.seconds.toFixed(2)} s`);
    }
    const top = featvis(['--help']);
    assert.equal(top.code, 0);
    assert.equal(top.loadedTf, false);
    for (const spec of specs) assert.match(top.out, new RegExp(`featvis ${spec.name}\\s+${spec.summary.slice(0, 20).replace(/[()|.*+?[\]\\]/g, '\\$&')}`));
    assert.equal(featvis(['help', 'am']).out, featvis(['am', '-h']).out);
    const version = featvis(['--version']);
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.out, `featvis ${pkg.version}\n`);
    assert.equal(version.loadedTf, false);
    // The bench line: what a user waits for --help (TensorFlow alone takes 2–7 s to load).
    t.diagnostic(`--help without TensorFlow: ${times.join(', ')}; --help ${top.seconds.toFixed(2)} s, --version ${version.seconds.toFixed(2)} s`);
    console.log(`bench: featvis <command> --help, no TensorFlow loaded: ${times.join(', ')}; featvis --version ${version.seconds.toFixed(2)} s`);
  });

  test('doctor --help shows help instead of running doctor; unknown commands suggest the near one', () => {
    const r = featvis(['doctor', '--help']);
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.out, /smokeMatmulMs|backend\s+tensorflow/);
    const typo = featvis(['lyers']);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /unknown command 'lyers' \(did you mean 'layers'\?\)/);
    assert.doesNotMatch(featvis(['bogus']).err, /did you mean/);
  });

  test('the transform preset names in the help are the registry\'s', () => {
    assert.deepEqual([...TRANSFORM_PRESET_NAMES], [...TRANSFORM_PRESETS]);
  });
});

describe('one parser for every command', () => {
  const spec: Pick<CommandSpec, 'name' | 'options' | 'positionals'> = {
    name: 'demo',
    options: {
      steps: { value: '<n>', help: 'steps', default: 16 },
      lr: { value: '<x>', help: 'rate' },
      decorrelate: { type: 'boolean', negatable: true, default: true, help: 'd' },
      crop: { type: 'boolean', help: 'c' },
      mode: { value: '<a|b>', help: 'm', default: 'a' },
    },
    positionals: { min: 1, max: 2, missing: 'give a photo path' },
  };
  const parse = (...argv: string[]): CommandArgs => parseCommand(spec, argv).args;

  test('values, defaults, negation, positionals, = syntax', () => {
    const a = parse('x.jpg', '--steps', '32', '--lr=0.5', '--no-decorrelate', '--crop');
    assert.equal(a.int('steps', { min: 1 }), 32);
    assert.equal(a.num('lr', { above: 0 }), 0.5);
    assert.equal(a.bool('decorrelate'), false);
    assert.equal(a.bool('crop'), true);
    assert.deepEqual(a.positionals, ['x.jpg']);
    const d = parse('y.jpg');
    assert.equal(d.int('steps'), 16);
    assert.equal(d.optNum('lr'), undefined);
    assert.equal(d.bool('decorrelate'), true);
    assert.equal(d.bool('crop'), false);
    assert.equal(d.choice('mode', ['a', 'b'] as const), 'a');
    assert.equal(parseCommand(spec, ['--help']).help, true, 'help needs no positional');
  });

  test('mistakes are one-line FeatvisErrors that name the option and point to --help', () => {
    const cases: Array<[string[], RegExp]> = [
      [['x', '--stpes', '3'], /^unknown option: --stpes \(see featvis demo --help\)$/],
      [['x', '--steps'], /^option --steps needs a value/],
      [['x', '--crop=yes'], /^option --crop takes no value/],
      [[], /^give a photo path \(see featvis demo --help\)$/],
      [['a', 'b', 'c'], /^unexpected argument 'c'/],
    ];
    for (const [argv, re] of cases) {
      assert.throws(() => parse(...argv), (e: unknown) => e instanceof FeatvisError && re.test(e.message) && !e.message.includes('\n'), argv.join(' '));
    }
    assert.throws(() => parse('x', '--steps', '0').int('steps', { min: 1 }), /option --steps: '0' is not an integer ≥ 1/);
    assert.throws(() => parse('x', '--steps', '1.5').int('steps', { min: 1 }), /is not an integer/);
    assert.throws(() => parse('x', '--lr', 'fast').num('lr', { above: 0 }), /option --lr: 'fast' is not a number > 0/);
    assert.throws(() => parse('x', '--mode', 'c').choice('mode', ['a', 'b'] as const), /option --mode: 'c' is not one of a, b/);
    assert.throws(() => parse('x').str('lr'), /--lr <x> is required \(see featvis demo --help\)/);
  });

  test('every command declares its options in its spec module, and no spec module imports TensorFlow', () => {
    const specsDir = path.join(repoRoot, 'src', 'cli', 'specs');
    for (const name of Object.keys(COMMANDS)) {
      const file = path.join(specsDir, `${name}.ts`);
      assert.ok(fs.existsSync(file), `${name}: specs/${name}.ts`);
      assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /backend\/tf|@tensorflow/);
    }
    // Only options.ts and the benches' args.ts parse argv, both with util.parseArgs.
    const cli = fs.readdirSync(path.join(repoRoot, 'src', 'cli')).filter((f) => f.endsWith('.ts'));
    for (const f of cli) {
      const src = fs.readFileSync(path.join(repoRoot, 'src', 'cli', f), 'utf8');
      if (f === 'options.ts' || f === 'args.ts') assert.match(src, /from 'node:util'/, f);
      else assert.doesNotMatch(src, /from '\.\/args\.js'|parseArgs\(/, `${f} parses argv itself`);
    }
  });
});

describe('TensorFlow log lines', () => {
  const TF_START = [
    'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
    'I0000 00:00:1796239737.992670   24719 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.',
    'I0000 00:00:1796239738.107421   24719 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.',
    'To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.',
    '2025-11-26 10:00:00.123456: I tensorflow/core/platform/cpu_feature_guard.cc:193] This TensorFlow binary is optimized',
  ];

  test('the filter drops exactly the native library\'s lines, whatever the chunking, and keeps progress redraws live', () => {
    for (const l of TF_START) assert.ok(isTfLogLine(l), l);
    for (const l of ['featvis am: stage3 · 16 channels', 'Warning: something of ours', 'I think so', 'E', '2025 images mined', 'To be or not']) assert.ok(!isTfLogLine(l), l);
    const text = `${TF_START.join('\n')}\nfeatvis am: model · layer\nWarning: ours\n\ram  [███░] 3/16\x1b[K\ram  [████] 16/16\x1b[K\nTo do: nothing\n`;
    const want = 'featvis am: model · layer\nWarning: ours\n\ram  [███░] 3/16\x1b[K\ram  [████] 16/16\x1b[K\nTo do: nothing\n';
    for (const size of [1, 3, 7, 64, text.length]) {
      const f = new TfLogFilter();
      let out = '';
      for (let i = 0; i < text.length; i += size) out += f.push(text.slice(i, i + size));
      out += f.end();
      assert.equal(out, want, `chunks of ${size}`);
    }
    const live = new TfLogFilter();
    assert.equal(live.push('\ram  [█░░] 1/16'), '\ram  [█░░] 1/16', 'a redraw without newline passes at once');
  });

  test('a command that loads TensorFlow prints none of its log lines (FEATVIS_DEBUG=1 shows them)', { skip: skipWithoutShared(), timeout: 300_000 }, () => {
    const r = featvis(['layers', '--filter', 'stage3']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.loadedTf, false, 'the launcher itself does not load TensorFlow');
    assert.match(r.out, /^stage3\s/m);
    assert.equal(r.err, '', `stderr: ${r.err}`);
    const bad = featvis(['layers', '--model', '/nonexistent/model.tflite']);
    assert.equal(bad.code, 1, 'exit codes pass through');
    assert.match(bad.err, /^featvis layers: .*not found/m);
    assert.ok(!bad.err.split('\n').some(isTfLogLine), bad.err);
  });
});

describe('README command table', () => {
  test('lists every command and matches the CLI (npm run readme:commands regenerates it)', async () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    assert.equal(await withCommandTable(readme), readme, 'the README command table is stale: run `npm run readme:commands`');
    const table = await commandTable();
    for (const name of Object.keys(COMMANDS)) assert.match(table, new RegExp(`\\| \`featvis ${name}\\b`));
  });
});

describe('featvis predict', { skip: skipWithoutShared() }, () => {
  // The TFLite interpreter's top-1 on the Coral sample photos (test/tflite.test.ts, INTERPRETER_TOP1).
  const TOP1: Record<string, [number, RegExp]> = {
    'bird.bmp': [20, /chickadee/],
    'cat.bmp': [286, /Egyptian cat/],
    'dragonfly.bmp': [320, /dragonfly/],
    'grace_hopper.bmp': [653, /military uniform/],
    'hot_dog.jpg': [935, /hotdog/],
    'owl.jpg': [83, /ruffed grouse/],
    'parrot.jpg': [89, /macaw/],
    'sunflower.bmp': [986, /daisy/],
  };

  test('the Coral MobileNetV2 on the Coral photos gives the TFLite interpreter\'s top-1, with labels', { timeout: 300_000 }, (t) => {
    const model = path.join(sharedDir, 'models', 'coral_mobilenet_v2_1.0_224_quant', 'mobilenet_v2_1.0_224_quant.tflite');
    const files = Object.keys(TOP1).map((f) => path.join(sharedDir, 'images', 'coral_samples', f));
    const r = featvis(['predict', ...files, '--model', model, '--top', '3', '--json']);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { layer: string; classes: number; predictions: Array<{ file: string; top: Array<{ index: number; label: string | null; probability: number }> }> };
    assert.equal(res.classes, 1001);
    const got: string[] = [];
    for (const p of res.predictions) {
      const [want, label] = TOP1[path.basename(p.file)]!;
      assert.equal(p.top.length, 3);
      assert.equal(p.top[0]!.index, want, path.basename(p.file));
      assert.match(p.top[0]!.label ?? '', label);
      assert.ok(p.top[0]!.probability >= p.top[1]!.probability && p.top[1]!.probability >= p.top[2]!.probability);
      got.push(`${path.basename(p.file)} ${p.top[0]!.index} ${p.top[0]!.label?.split(',')[0]} ${(100 * p.top[0]!.probability).toFixed(1)} %`);
    }
    t.diagnostic(`featvis predict top-1: ${got.join('; ')}`);
    const text = featvis(['predict', files[1]!, '--model', model, '--top', '1']);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /cat\.bmp\n\s+1\.\s+286\s+Egyptian cat\s+\d+\.\d\d %/);
  });

  test('a missing photo or model is one line', () => {
    const r = featvis(['predict', '/nonexistent.jpg']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^featvis predict: .*nonexistent\.jpg/m);
    assert.doesNotMatch(r.err, /\n\s+at /);
    assert.match(featvis(['predict']).err, /give one or more image paths/);
  });
});
