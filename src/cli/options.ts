/**
 * The command line's one argument parser: each command declares its options
 * once (a CommandSpec); `parseCommand` checks argv against them with Node's
 * `util.parseArgs` (strict: unknown options and missing values are errors),
 * and `formatHelp` writes the help from the same declaration. Spec modules
 * import no TensorFlow, so `featvis <command> --help` answers at once; the
 * command's code loads only when it runs (`CommandSpec.run`).
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { FeatvisError, oneLine } from '../core/errors.js';
import { wrapWords } from '../core/text.js';

export interface OptionSpec {
  /** Default 'string'. */
  type?: 'string' | 'boolean';
  /** Placeholder shown in the help, e.g. '<n>' (strings only; default '<value>'). */
  value?: string;
  help: string;
  /** The value when the option is not given; shown in the help as "(default …)". */
  default?: string | number | boolean;
  /** Booleans: `--no-<name>` sets false. */
  negatable?: boolean;
  /** A one-letter alias. */
  short?: string;
  /** Heading of the help section the option is listed under (default: "options"). */
  group?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** What a command's `run` gets. */
export interface RunnableCommand {
  run(args: CommandArgs): Promise<number | void>;
}

export interface CommandSpec {
  name: string;
  /** One line: what the command does (the top-level help lists it). */
  summary: string;
  /** What follows `featvis <name>` in the synopsis, e.g. '<photo> [options]'. */
  usage: string;
  /** Paragraphs printed after the synopsis. */
  description?: string;
  options: OptionSpecs;
  /** Positional arguments accepted (default none); `missing` is the error when fewer than `min` are given. */
  positionals?: Positionals;
  /** Loads the command's code (TensorFlow and all) and runs it. */
  load(): Promise<RunnableCommand>;
}

export interface Positionals {
  min: number;
  /** Infinity for lists. */
  max: number;
  /** e.g. 'give a photo path'. */
  missing: string;
}

export interface Range {
  min?: number;
  max?: number;
  /** min is exclusive (a number > min). */
  above?: number;
  integer?: boolean;
}

function describeRange(r: Range): string {
  const kind = r.integer ? 'an integer' : 'a number';
  const parts: string[] = [];
  if (r.above !== undefined) parts.push(`> ${r.above}`);
  if (r.min !== undefined && r.max !== undefined) return `${kind} in ${r.min}–${r.max}`;
  if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

function inRange(n: number, r: Range): boolean {
  if (!Number.isFinite(n)) return false;
  if (r.integer && !Number.isSafeInteger(n)) return false;
  if (r.above !== undefined && !(n > r.above)) return false;
  if (r.min !== undefined && n < r.min) return false;
  if (r.max !== undefined && n > r.max) return false;
  return true;
}

/** The parsed command line of one command, with typed, checked getters. */
export class CommandArgs {
  constructor(
    readonly spec: Pick<CommandSpec, 'name' | 'options'>,
    private readonly values: Readonly<Record<string, string | boolean | undefined>>,
    readonly positionals: readonly string[],
    /** The argv as given (after the command name). */
    readonly argv: readonly string[] = [],
  ) {}

  private declared(name: string): OptionSpec {
    const o = this.spec.options[name];
    if (!o) throw new Error(`featvis ${this.spec.name}: option --${name} is not declared`);
    return o;
  }

  /** Whether the option was given on the command line. */
  has(name: string): boolean {
    this.declared(name);
    return this.values[name] !== undefined;
  }

  /** The string value, else the default, else undefined. */
  optStr(name: string): string | undefined {
    const o = this.declared(name);
    const v = this.values[name];
    if (typeof v === 'string') return v;
    return o.default === undefined ? undefined : String(o.default);
  }

  /** The string value or default; a missing required option is a one-line error. */
  str(name: string): string {
    const v = this.optStr(name);
    if (v === undefined) throw new FeatvisError(`--${name} ${this.declared(name).value ?? '<value>'} is required (see featvis ${this.spec.name} --help)`);
    return v;
  }

  /** A comma-separated list (empty entries dropped). */
  list(name: string): string[] | undefined {
    const v = this.optStr(name);
    return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
  }

  /** The number given or the default, checked against `range`; undefined when neither. */
  optNum(name: string, range: Range = {}): number | undefined {
    const o = this.declared(name);
    const v = this.values[name];
    const raw = typeof v === 'string' ? v : o.default === undefined ? undefined : String(o.default);
    if (raw === undefined) return undefined;
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!inRange(n, range)) throw new FeatvisError(`option --${name}: '${oneLine(raw, 40)}' is not ${describeRange(range)}`);
    return n;
  }

  num(name: string, range: Range = {}): number {
    const n = this.optNum(name, range);
    if (n === undefined) return Number(this.str(name)); // throws "needs --name"
    return n;
  }

  optInt(name: string, range: Omit<Range, 'integer'> = {}): number | undefined {
    return this.optNum(name, { ...range, integer: true });
  }

  int(name: string, range: Omit<Range, 'integer'> = {}): number {
    return this.num(name, { ...range, integer: true });
  }

  bool(name: string): boolean {
    const o = this.declared(name);
    const v = this.values[name];
    if (typeof v === 'boolean') return v;
    return o.default === true;
  }

  /** One of `choices` (the value or the default). */
  choice<T extends string>(name: string, choices: readonly T[]): T {
    const v = this.str(name);
    if (!(choices as readonly string[]).includes(v)) throw new FeatvisError(`option --${name}: '${oneLine(v, 40)}' is not one of ${choices.join(', ')}`);
    return v as T;
  }
}

type NodeOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function nodeOptions(options: OptionSpecs): NodeOptions {
  const out: NodeOptions = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(options)) {
    out[name] = { type: o.type ?? 'string', ...(o.short ? { short: o.short } : {}) };
    if (o.negatable) out[`no-${name}`] = { type: 'boolean' };
  }
  return out;
}

/** Node's parseArgs messages, as one line in featvis's words. */
function parseError(err: unknown, command: string): FeatvisError {
  const e = err as { code?: string; message?: string };
  const msg = String(e.message ?? err);
  const quoted = /'([^']*)'/.exec(msg)?.[1] ?? '';
  const see = `(see featvis ${command} --help)`;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new FeatvisError(`unknown option: ${oneLine(quoted, 60)} ${see}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new FeatvisError(`unexpected argument '${oneLine(quoted, 60)}' ${see}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0] ?? quoted;
      if (/argument missing/.test(msg)) return new FeatvisError(`option ${flag} needs a value ${see}`);
      if (/does not take an argument/.test(msg)) return new FeatvisError(`option ${flag} takes no value ${see}`);
      if (/ambiguous/.test(msg)) return new FeatvisError(`option ${flag} needs a value (a value starting with '-' is written ${flag}=-…) ${see}`);
      return new FeatvisError(`${oneLine(msg.split('. ')[0] ?? msg, 120)} ${see}`);
    }
    default:
      return new FeatvisError(`${oneLine(msg, 160)} ${see}`);
  }
}

export interface Parsed {
  help: boolean;
  args: CommandArgs;
}

/** Parses `argv` (after the command name) against the command's options. */
export function parseCommand(spec: Pick<CommandSpec, 'name' | 'options' | 'positionals'>, argv: readonly string[]): Parsed {
  let parsed: { values: Record<string, string | boolean | Array<string | boolean> | undefined>; positionals: string[] };
  try {
    parsed = nodeParseArgs({ args: [...argv], options: nodeOptions(spec.options), allowPositionals: true, strict: true });
  } catch (err) {
    throw parseError(err, spec.name);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(parsed.values)) {
    if (Array.isArray(v)) continue; // no option is declared `multiple`
    if (k.startsWith('no-') && spec.options[k.slice(3)]?.negatable) values[k.slice(3)] = v === true ? false : values[k.slice(3)];
    else values[k] = v;
  }
  const help = values.help === true;
  delete values.help;
  const pos = spec.positionals ?? { min: 0, max: 0, missing: '' };
  if (!help) {
    const n = parsed.positionals.length;
    if (n > pos.max) throw new FeatvisError(`unexpected argument '${oneLine(parsed.positionals[pos.max]!, 60)}' (see featvis ${spec.name} --help)`);
    if (n < pos.min) throw new FeatvisError(`${pos.missing} (see featvis ${spec.name} --help)`);
  }
  return { help, args: new CommandArgs(spec, values, parsed.positionals, argv) };
}

function flagText(name: string, o: OptionSpec): string {
  const short = o.short ? `-${o.short}, ` : '';
  if ((o.type ?? 'string') === 'boolean') return `${short}--${o.negatable ? `[no-]${name}` : name}`;
  return `${short}--${name} ${o.value ?? '<value>'}`;
}

const HELP_WIDTH = 100;

/** The help text of a command, from its spec. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`featvis ${spec.name} — ${spec.summary}`, '', `usage: featvis ${spec.name} ${spec.usage}`.trimEnd()];
  if (spec.description) lines.push('', ...wrapWords(spec.description, HELP_WIDTH));
  const groups = new Map<string, Array<[string, OptionSpec]>>();
  for (const [name, o] of Object.entries(spec.options)) {
    const g = o.group ?? 'options';
    groups.set(g, [...(groups.get(g) ?? []), [name, o]]);
  }
  groups.set('options', [...(groups.get('options') ?? []), ['help', { type: 'boolean', short: 'h', help: 'this help' }]]);
  const all = [...groups.values()].flat();
  const col = Math.min(30, Math.max(...all.map(([n, o]) => flagText(n, o).length)) + 2);
  for (const [group, opts] of groups) {
    lines.push('', `${group}:`);
    for (const [name, o] of opts) {
      const flag = `  ${flagText(name, o)}`;
      const def = o.default === undefined || o.default === false ? '' : ` (default ${String(o.default)})`;
      const text = wrapWords(`${o.help}${def}`, HELP_WIDTH - col - 2);
      if (flag.length + 1 > col + 2) lines.push(flag, ...text.map((t) => `${' '.repeat(col + 2)}${t}`));
      else lines.push(`${flag.padEnd(col + 2)}${text[0]}`, ...text.slice(1).map((t) => `${' '.repeat(col + 2)}${t}`));
    }
  }
  return lines.join('\n');
}
