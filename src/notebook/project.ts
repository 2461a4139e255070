/**
 * The study's project settings: a small JSON file that notebook 01 writes
 * (`fv.nb.saveStudyLayer`) and notebooks 02–06 read, so the layer chosen by
 * DeepDream carries over. `notebooks/study.json` by default (beside the
 * notebooks, editable by hand); FEATVIS_STUDY_FILE names another, and a
 * headless run with FEATVIS_NB_OUT keeps its own under that folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError, oneLine } from '../core/errors.js';
import { readTextFile } from '../io/readFile.js';
import { repoRoot } from './settings.js';

export interface ProjectSettings {
  /** The model source the study uses (a zoo id, a path or a URL). */
  model?: string;
  /** The layer notebooks 02–06 study. */
  layer?: string;
}

export function projectFile(): string {
  if (process.env.FEATVIS_STUDY_FILE) return path.resolve(process.env.FEATVIS_STUDY_FILE);
  if (process.env.FEATVIS_NB_OUT) return path.resolve(process.env.FEATVIS_NB_OUT, 'study.json');
  return path.join(repoRoot(), 'notebooks', 'study.json');
}

/** The project settings ({} when there is no file yet). */
export function readProject(file: string = projectFile()): ProjectSettings {
  if (!fs.existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(file, { what: 'study settings', maxBytes: 64 * 1024 }));
  } catch (err) {
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`${file} is not valid JSON (${oneLine(err instanceof Error ? err.message : String(err), 120)}): fix or delete it`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FeatvisError(`${file} must hold an object such as {"layer": "mixed6"}`);
  const out: ProjectSettings = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k !== 'model' && k !== 'layer') throw new FeatvisError(`${file}: unknown setting '${oneLine(k, 40)}' (known: model, layer)`);
    if (typeof v !== 'string' || v === '') throw new FeatvisError(`${file}: ${k} must be a non-empty string`);
    out[k] = v;
  }
  return out;
}

/** Writes the project settings (merged over what the file holds); returns the file. */
export function writeProject(settings: ProjectSettings, file: string = projectFile()): string {
  const next = { ...readProject(file), ...settings };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
  return file;
}
