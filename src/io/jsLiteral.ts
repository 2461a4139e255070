/**
 * A small, bounded reader for the subset of JavaScript that bundlers write for
 * data: object and array literals, single/double-quoted strings (with escapes),
 * numbers (`.5`, `-.5`, `1e-3`), `!0`/`!1`, `true`/`false`/`null`, and
 * unquoted identifier (or numeric) keys. Anything else (identifiers as values,
 * calls, template strings, operators) is rejected: the text is read as data,
 * never evaluated.
 *
 * Used to read model bundles such as nsfwjs's `model.min.js`
 * (`n.exports={modelTopology:{…},weightsManifest:[…]}`) and its weight shards
 * (`h.exports="<base64>"`).
 */
import { FeatvisError } from '../core/errors.js';

export type JsValue = null | boolean | number | string | JsValue[] | JsObject;
export interface JsObject {
  [key: string]: JsValue;
}

export interface JsLiteralLimits {
  /** Deepest nesting of objects/arrays (default 256). */
  maxDepth?: number;
  /** Most values in one literal (default 5,000,000). */
  maxValues?: number;
}

const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[A-Za-z0-9_$]/;
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

class Reader {
  pos: number;
  private values = 0;
  private readonly maxDepth: number;
  private readonly maxValues: number;

  constructor(
    private readonly text: string,
    start: number,
    private readonly where: string,
    limits: JsLiteralLimits,
  ) {
    this.pos = start;
    this.maxDepth = limits.maxDepth ?? 256;
    this.maxValues = limits.maxValues ?? 5_000_000;
  }

  fail(what: string, at = this.pos): never {
    const near = this.text.slice(at, at + 24).replace(/\s+/g, ' ');
    throw new FeatvisError(`${this.where}: ${what} at offset ${at} (near '${near}'): not a plain data literal`);
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  value(depth: number): JsValue {
    if (++this.values > this.maxValues) this.fail(`more than ${this.maxValues} values`);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of text');
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"' || c === "'") return this.string();
    if (c === '!') {
      const d = this.text[this.pos + 1];
      if (d === '0' || d === '1') {
        const after = this.text[this.pos + 2];
        if (after !== undefined && /[0-9.eE_$A-Za-z]/.test(after)) this.fail('unsupported expression');
        this.pos += 2;
        return d === '0';
      }
      this.fail('unsupported expression');
    }
    if (c === '-' || c === '.' || (c >= '0' && c <= '9')) return this.number();
    if (IDENT_START.test(c)) {
      const word = this.identifier();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
      this.fail(`identifier '${word.slice(0, 40)}' where a value belongs`, this.pos - word.length);
    }
    this.fail(`unexpected character '${c}'`);
  }

  private identifier(): string {
    const start = this.pos;
    while (this.pos < this.text.length && IDENT_PART.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m || m[0] === '-' || m[0] === '') this.fail('malformed number');
    const next = this.text[this.pos + m[0].length];
    // 0x1F, 1n, 1_000, 1.5.3, 2px: not plain decimal literals.
    if (next !== undefined && /[A-Za-z0-9_$.]/.test(next)) this.fail('malformed number');
    if (/^-?0\d/.test(m[0])) this.fail('legacy octal number');
    this.pos += m[0].length;
    const v = Number(m[0]);
    if (!Number.isFinite(v)) this.fail('number out of range', this.pos - m[0].length);
    return v;
  }

  string(): string {
    const t = this.text;
    const quote = t[this.pos]!;
    const start = this.pos;
    this.pos++;
    const parts: string[] = [];
    let run = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string', start);
      const c = t[this.pos]!;
      if (c === quote) {
        parts.push(t.slice(run, this.pos));
        this.pos++;
        return parts.length === 1 ? parts[0]! : parts.join('');
      }
      if (c === '\n' || c === '\r') this.fail('line break inside a string', this.pos);
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      parts.push(t.slice(run, this.pos));
      parts.push(this.escape());
      run = this.pos;
    }
  }

  /** At a backslash: returns the character(s) it stands for and moves past the escape. */
  private escape(): string {
    const t = this.text;
    const at = this.pos;
    const e = t[this.pos + 1];
    if (e === undefined) this.fail('unterminated string', at);
    this.pos += 2;
    if (e in SIMPLE_ESCAPES && !(e === '0' && /[0-9]/.test(t[this.pos] ?? ''))) return SIMPLE_ESCAPES[e]!;
    if (e === 'x') return String.fromCharCode(this.hex(2, at));
    if (e === 'u') {
      if (t[this.pos] === '{') {
        const close = t.indexOf('}', this.pos);
        if (close < 0 || close - this.pos > 7) this.fail('malformed \\u{…} escape', at);
        const code = this.hexOf(t.slice(this.pos + 1, close), at);
        if (code > 0x10ffff) this.fail('code point out of range', at);
        this.pos = close + 1;
        return String.fromCodePoint(code);
      }
      return String.fromCharCode(this.hex(4, at));
    }
    if (e === '\r') {
      if (t[this.pos] === '\n') this.pos++;
      return ''; // line continuation
    }
    if (e === '\n' || e === '\u2028' || e === '\u2029') return '';
    if (/[1-9]/.test(e)) this.fail('octal escape', at);
    return e; // \' \" \\ and identity escapes
  }

  private hex(n: number, at: number): number {
    const s = this.text.slice(this.pos, this.pos + n);
    if (s.length !== n) this.fail('malformed escape', at);
    this.pos += n;
    return this.hexOf(s, at);
  }

  private hexOf(s: string, at: number): number {
    if (!/^[0-9A-Fa-f]+$/.test(s)) this.fail('malformed escape', at);
    return parseInt(s, 16);
  }

  private key(): string {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.string();
    if (c !== undefined && IDENT_START.test(c)) return this.identifier();
    if (c !== undefined && c >= '0' && c <= '9') return String(this.number());
    return this.fail('expected a property name');
  }

  private object(depth: number): JsObject {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++; // {
    const out: JsObject = {};
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const keyAt = this.pos;
      const k = this.key();
      if (k === '__proto__') this.fail("property '__proto__'", keyAt);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("expected ':' after a property name");
      this.pos++;
      out[k] = this.value(depth);
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'", this.pos - 1);
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out; // trailing comma
      }
    }
  }

  private array(depth: number): JsValue[] {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.pos++; // [
    const out: JsValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text[this.pos] === ',') this.fail('array hole');
      out.push(this.value(depth));
      this.skipSpace();
      const c = this.text[this.pos];
      this.pos++;
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'", this.pos - 1);
      this.skipSpace();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return out;
      }
    }
  }
}

/**
 * Parses one literal starting at `start` (leading whitespace allowed).
 * Returns the value and the offset just past it.
 */
export function parseJsLiteral(text: string, start = 0, where = 'literal', limits: JsLiteralLimits = {}): { value: JsValue; end: number } {
  const r = new Reader(text, start, where, limits);
  const value = r.value(0);
  return { value, end: r.pos };
}

/** Parses `text` as exactly one literal (surrounding whitespace allowed). */
export function parseJsLiteralWhole(text: string, where = 'literal', limits: JsLiteralLimits = {}): JsValue {
  const { value, end } = parseJsLiteral(text, 0, where, limits);
  if (text.slice(end).trim() !== '') throw new FeatvisError(`${where}: unexpected text after the literal at offset ${end}`);
  return value;
}

/** What may follow the exported literal in a bundle: the end of the module function or statement. */
const AFTER_EXPORT = /^\s*[};,)]/;
const MAX_EXPORT_ASSIGNMENTS = 16;

/**
 * The literal a CommonJS/browserify module assigns to `exports` (`x.exports=`,
 * `module.exports =`, `exports=`). Exactly one such assignment must exist, and
 * it must be a plain literal of the expected kind.
 */
export function exportedLiteral(text: string, where: string, kind: 'object' | 'string', limits: JsLiteralLimits = {}): JsValue {
  // A bundle's prelude has other assignments (UMD: `module.exports=a()`): they are
  // code, never run; the data is the one assignment of a literal of `kind`.
  const re = /(?:^|[^A-Za-z0-9_$])exports\s*=(?!=)\s*/g;
  const starts: number[] = [];
  let assignments = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (++assignments > MAX_EXPORT_ASSIGNMENTS) throw new FeatvisError(`${where}: more than ${MAX_EXPORT_ASSIGNMENTS} 'exports=' assignments: not a bundled data module`);
    const at = m.index + m[0].length;
    const open = text[at];
    if (kind === 'object' ? open === '{' : open === '"' || open === "'") starts.push(at);
  }
  const what = kind === 'object' ? 'an object literal' : 'a string literal';
  if (assignments === 0) throw new FeatvisError(`${where}: no 'exports=' assignment found: not a bundled model file`);
  if (starts.length === 0) throw new FeatvisError(`${where}: no 'exports=' assignment of ${what}: not a bundled data module`);
  if (starts.length > 1) throw new FeatvisError(`${where}: ${starts.length} 'exports=' assignments of ${what}, expected one`);
  const at = starts[0]!;
  const { value, end } = parseJsLiteral(text, at, where, limits);
  if (!AFTER_EXPORT.test(text.slice(end, end + 16))) throw new FeatvisError(`${where}: the exported literal is followed by '${text.slice(end, end + 16)}': an expression, not plain data`);
  return value;
}

export function isJsObject(v: JsValue | undefined): v is JsObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
