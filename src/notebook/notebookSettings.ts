/**
 * A notebook's settings cell: `fv.nb.settings('am', { channels: '0-7', steps: 256 })`.
 * Every setting has a shipped value (defaults.ts); per setting, the value used is
 *   1. the cell's, where it differs from the shipped one (the user typed it; the table
 *      says 'cell', and 'default' for a cell value equal to the shipped one);
 *   2. else FEATVIS_NB_<NAME> from the environment (how CI runs small);
 *   3. else, for `model` and `layer` left at 'auto', the project file notebook 01
 *      writes (project.ts);
 *   4. else the shipped value.
 * An environment value never silently beats a cell edit: the table the cell
 * shows says where each value came from and which variable was ignored.
 */
import { FeatvisError } from '../core/errors.js';
import { describe } from '../core/check.js';
import { showNote, showTable } from './display.js';
import { NOTEBOOK_DEFAULTS, type NotebookName } from './defaults.js';
import { projectFile, readProject } from './project.js';
import { parseSetting, settingEnvName, type SettingValue, type Settings } from './settings.js';
import { staleBuildNote } from './build.js';

export type NotebookSettings<N extends NotebookName> = Settings<(typeof NOTEBOOK_DEFAULTS)[N]>;

export interface SettingSource {
  name: string;
  value: SettingValue;
  /** 'cell', 'default', the environment variable, or the project file's name. */
  from: string;
  note: string;
}

function sameValue(a: SettingValue, b: SettingValue): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => v === b[i]) : a === b;
}

function checkType(notebook: string, name: string, value: unknown, def: SettingValue): SettingValue {
  const ok = Array.isArray(def) ? Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v)) : typeof value === typeof def && (typeof value !== 'number' || Number.isFinite(value));
  if (!ok) throw new FeatvisError(`settings('${notebook}'): ${name} must be ${Array.isArray(def) ? 'a list of numbers' : `a ${typeof def}`} like ${JSON.stringify(def)}, got ${describe(value)}`);
  return (Array.isArray(value) ? [...(value as number[])] : value) as SettingValue;
}

/** Resolves a notebook's settings (see the module comment); `sources` says where each came from. */
export function resolveSettings<N extends NotebookName>(notebook: N, cell: Partial<NotebookSettings<N>>): { values: NotebookSettings<N>; sources: SettingSource[] } {
  const defaults = NOTEBOOK_DEFAULTS[notebook] as Record<string, SettingValue> | undefined;
  if (!defaults) throw new FeatvisError(`settings: unknown notebook '${String(notebook)}' (known: ${Object.keys(NOTEBOOK_DEFAULTS).join(', ')})`);
  const given = cell as Record<string, unknown>;
  for (const k of Object.keys(given)) if (!(k in defaults)) throw new FeatvisError(`settings('${notebook}'): unknown setting '${k}' (known: ${Object.keys(defaults).join(', ')})`);
  const project = 'model' in defaults ? readProject() : {};
  const values: Record<string, SettingValue> = {};
  const sources: SettingSource[] = [];
  for (const [name, def] of Object.entries(defaults)) {
    const env = settingEnvName(name);
    const raw = process.env[env];
    const envValue = raw === undefined || raw === '' ? undefined : parseSetting(name, raw, def);
    const typed = given[name] === undefined ? undefined : checkType(notebook, name, given[name], def);
    let value: SettingValue;
    let from: string;
    let note = '';
    if (typed !== undefined && !sameValue(typed, def)) {
      value = typed;
      from = 'cell';
      if (envValue !== undefined) note = `${env}=${raw} ignored: the cell's value wins`;
    } else if (envValue !== undefined) {
      value = envValue;
      from = env;
    } else {
      value = typed ?? (Array.isArray(def) ? [...def] : def);
      from = 'default';
    }
    values[name] = value;
    sources.push({ name, value, from, note });
  }
  // The study's model and layer, as notebook 01 saved them, where the notebook says 'auto'.
  const file = projectFile();
  const src = (n: string): SettingSource => sources.find((s) => s.name === n)!;
  if (project.model && values.model === 'auto') {
    values.model = project.model;
    Object.assign(src('model'), { value: project.model, from: 'study.json', note: `written by notebook 01 (${file})` });
  }
  if (project.layer && values.layer === 'auto' && (!project.model || values.model === project.model)) {
    values.layer = project.layer;
    Object.assign(src('layer'), { value: project.layer, from: 'study.json', note: `written by notebook 01 (${file})` });
  }
  return { values: values as NotebookSettings<N>, sources };
}

/**
 * The settings cell of notebook `notebook`: resolves the settings, shows them as
 * a table (value, where it came from) and returns them.
 */
export function settings<N extends NotebookName>(notebook: N, cell: Partial<NotebookSettings<N>> = {}): NotebookSettings<N> {
  const { values, sources } = resolveSettings(notebook, cell);
  const stale = staleBuildNote();
  if (stale) showNote(stale);
  showTable(
    sources.map((s) => ({ setting: s.name, value: Array.isArray(s.value) ? s.value.join(', ') : s.value, from: s.from, note: s.note })),
    { title: 'Settings: edit them in the cell above; FEATVIS_NB_<NAME> sets the ones the cell leaves as shipped' },
  );
  return values;
}
