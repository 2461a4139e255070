/**
 * The benches' argument reader (bench/*.ts): `--key value`, `--key=value`,
 * `--flag`, `--no-flag`, positionals, read lazily by name. It is Node's
 * `util.parseArgs` underneath, as the CLI's declared options (options.ts) are;
 * featvis's commands use those.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
import { FeatvisError } from '../core/errors.js';

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | boolean>;
}

export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const options: Record<string, { type: 'boolean' }> = {};
  for (const b of booleans) options[b] = options[`no-${b}`] = { type: 'boolean' };
  const { tokens } = nodeParseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const flags = new Map<string, string | boolean>();
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'positional') positionals.push(t.value);
    else if (t.kind === 'option-terminator') continue;
    else if (t.value !== undefined) flags.set(t.name, t.value);
    else if (t.name.startsWith('no-') && booleans.includes(t.name.slice(3))) flags.set(t.name.slice(3), false);
    else if (booleans.includes(t.name)) flags.set(t.name, true);
    else {
      // An undeclared option takes the next argument as its value (`--steps 16`).
      const next = tokens[i + 1];
      if (next?.kind !== 'positional' || next.index !== t.index + 1) throw new FeatvisError(`option --${t.name} needs a value`);
      flags.set(t.name, next.value);
      i++;
    }
  }
  return { positionals, flags };
}

export class Args {
  private readonly used = new Set<string>();
  constructor(private readonly parsed: ParsedArgs) {}

  get positionals(): string[] {
    return this.parsed.positionals;
  }

  str(key: string, def: string): string;
  str(key: string): string | undefined;
  str(key: string, def?: string): string | undefined {
    this.used.add(key);
    const v = this.parsed.flags.get(key);
    if (v === undefined) return def;
    if (typeof v === 'boolean') throw new FeatvisError(`option --${key} needs a value`);
    return v;
  }

  num(key: string, def: number, check?: (n: number) => boolean, what = 'a valid number'): number {
    const s = this.str(key);
    if (s === undefined) return def;
    const n = Number(s);
    if (!Number.isFinite(n) || (check && !check(n))) throw new FeatvisError(`option --${key}: '${s}' is not ${what}`);
    return n;
  }

  optNum(key: string): number | undefined {
    const s = this.str(key);
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isFinite(n)) throw new FeatvisError(`option --${key}: '${s}' is not a number`);
    return n;
  }

  bool(key: string, def: boolean): boolean {
    this.used.add(key);
    const v = this.parsed.flags.get(key);
    return v === undefined ? def : v === true || v === 'true' || v === '1';
  }

  /** Throws on options nobody asked for (typos). */
  finish(): void {
    const unknown = [...this.parsed.flags.keys()].filter((k) => !this.used.has(k));
    if (unknown.length) throw new FeatvisError(`unknown option${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => `--${k}`).join(', ')} (see --help)`);
  }
}
