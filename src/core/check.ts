/**
 * Argument checks for the public API. Notebooks and scripts call featvis with
 * values of any type; a wrong one gets a FeatvisError that names the function,
 * the argument and what was passed, never a TypeError from deep inside.
 */
import { FeatvisError } from './errors.js';

/** A short description of a value for messages: its type, and the value when small. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `the string '${value.slice(0, 40)}…'` : `the string '${value}'`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'function':
      return 'a function';
    default:
      return `${(value as object).constructor?.name ?? 'an object'}`;
  }
}

function fail(fn: string, arg: string, want: string, got: unknown): FeatvisError {
  return new FeatvisError(`${fn}: ${arg} must be ${want}, got ${describe(got)}`);
}

/** A non-empty string. */
export function checkName(fn: string, arg: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw fail(fn, arg, 'a non-empty string', value);
  return value;
}

/** A string (possibly empty). */
export function checkString(fn: string, arg: string, value: unknown): string {
  if (typeof value !== 'string') throw fail(fn, arg, 'a string', value);
  return value;
}

/** An integer ≥ 0 (a channel, an index, a position). */
export function checkIndex(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw fail(fn, arg, 'an integer ≥ 0', value);
  return value;
}

/** A finite number. */
export function checkFinite(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(fn, arg, 'a finite number', value);
  return value;
}

/** An array (or typed array) of integers ≥ 0, at most `max` long. */
export function checkIndexList(fn: string, arg: string, value: unknown, max = 1 << 20): number[] {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) throw fail(fn, arg, 'an array of integers ≥ 0', value);
  const length = (value as ArrayLike<unknown>).length;
  if (length > max) throw new FeatvisError(`${fn}: ${arg} has ${length} entries, more than the limit of ${max}`);
  const list = Array.from(value as ArrayLike<unknown>);
  list.forEach((v, i) => checkIndex(fn, `${arg}[${i}]`, v));
  return list as number[];
}

/** An array (or typed array) of finite numbers, at most `max` long. */
export function checkFiniteList(fn: string, arg: string, value: unknown, max = 1 << 24): number[] {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) throw fail(fn, arg, 'an array of finite numbers', value);
  const length = (value as ArrayLike<unknown>).length;
  if (length > max) throw new FeatvisError(`${fn}: ${arg} has ${length} entries, more than the limit of ${max}`);
  const list = Array.from(value as ArrayLike<unknown>);
  list.forEach((v, i) => checkFinite(fn, `${arg}[${i}]`, v));
  return list as number[];
}

/** An array of strings. */
export function checkStringList(fn: string, arg: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw fail(fn, arg, 'an array of strings', value);
  value.forEach((v, i) => checkString(fn, `${arg}[${i}]`, v));
  return value as string[];
}
