/**
 * Notebook settings from the environment, and the notebooks' folders. A
 * settings cell (notebookSettings.ts) takes FEATVIS_NB_<NAME> for the settings
 * it leaves as shipped, so CI (environment/run-notebooks.py) runs the same
 * notebooks with fewer steps and smaller images:
 *
 *   nbSetting('steps', 256)          // FEATVIS_NB_STEPS=24 → 24
 *   nbSetting('imageFolder', '…')    // FEATVIS_NB_IMAGE_FOLDER
 *
 * The value's type follows the default: number, boolean, string or number[]
 * (comma-separated in the environment). A malformed value is an error, never
 * silently the default.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import { packageRoot } from '../core/paths.js';

export type SettingValue = string | number | boolean | number[];

/** Widens literal types: nbSetting('steps', 256) is a number, not 256. */
export type Widen<T> = T extends string ? string : T extends number ? number : T extends boolean ? boolean : T extends number[] ? number[] : never;

/** `imageFolder` → `FEATVIS_NB_IMAGE_FOLDER`. */
export function settingEnvName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new FeatvisError(`setting names are camelCase identifiers, got '${name}'`);
  return `FEATVIS_NB_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Parses `raw` as the type of `def`. */
export function parseSetting<T extends SettingValue>(name: string, raw: string, def: T): Widen<T> {
  const bad = (what: string): FeatvisError => new FeatvisError(`${settingEnvName(name)}='${raw}' is not ${what}`);
  const text = raw.trim();
  if (typeof def === 'number') {
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) throw bad('a number');
    return n as Widen<T>;
  }
  if (typeof def === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(text)) return true as Widen<T>;
    if (/^(0|false|no|off)$/i.test(text)) return false as Widen<T>;
    throw bad('a boolean (1/0, true/false, yes/no)');
  }
  if (Array.isArray(def)) {
    if (text === '') return [] as number[] as Widen<T>;
    const list = text.split(',').map((s) => Number(s.trim()));
    if (list.some((n) => !Number.isFinite(n))) throw bad('a comma-separated list of numbers');
    return list as Widen<T>;
  }
  return text as Widen<T>;
}

/** The setting `name`: the environment's FEATVIS_NB_<NAME> when set (and non-empty), else `def`. */
export function nbSetting<T extends SettingValue>(name: string, def: T): Widen<T> {
  const raw = process.env[settingEnvName(name)];
  if (raw === undefined || raw === '') return (Array.isArray(def) ? [...def] : def) as Widen<T>;
  return parseSetting(name, raw, def);
}

export type Settings<T extends Record<string, SettingValue>> = { [K in keyof T]: Widen<T[K]> };

/** The featvis repository root (the package root: notebooks run from inside it). */
export function repoRoot(): string {
  return packageRoot();
}

/** The shared models/images folder (FEATVIS_SHARED, else ../shared beside the repository). */
export { sharedDir } from '../core/paths.js';

/**
 * A path setting: absolute paths stay; relative ones are taken from the
 * working directory when they exist there, else from the repository root.
 */
export function resolvePath(p: string): string {
  if (path.isAbsolute(p)) return p;
  if (fs.existsSync(p)) return path.resolve(p);
  return path.resolve(repoRoot(), p);
}

/**
 * Folder for a notebook's outputs (created): <root>/<name>, where root is
 * FEATVIS_NB_OUT when set (the CI runner uses a fresh folder), else
 * runs/notebooks under the repository.
 */
export function outputDir(name: string): string {
  const root = process.env.FEATVIS_NB_OUT ? path.resolve(process.env.FEATVIS_NB_OUT) : path.join(repoRoot(), 'runs', 'notebooks');
  const dir = path.join(root, fileSafe(name));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Output folder for one AM run: <notebook output>/<layer>-<settings hash>, so
 * re-running a cell with the same settings resumes / reuses its images and
 * other settings never collide (see visualizeChannels).
 */
export function runDir(notebook: string, layer: string, hash: string): string {
  return path.join(outputDir(notebook), `${fileSafe(layer)}-${hash}`);
}
