/** Minimal argv parsing: `--key value`, `--key=value`, `--flag`, `--no-flag`, positionals. */
import { FeatvisError } from '../core/errors.js';

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | boolean>;
}

export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string | boolean>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags.set(key, a.slice(eq + 1));
    else if (key.startsWith('no-') && booleans.includes(key.slice(3))) flags.set(key.slice(3), false);
    else if (booleans.includes(key)) flags.set(key, true);
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new FeatvisError(`option --${key} needs a value`);
      flags.set(key, v);
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
