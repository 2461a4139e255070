/**
 * A sweep's persistent store: SQLite (WAL, synchronous FULL), one transaction
 * per finished batch, so `kill -9` loses at most the batch in flight.
 *
 *   channels  per channel: its top-k and held-out exemplars, its ceiling (per variant)
 *   controls  per (channel, seed): the random images drawn for it, and the query
 *             scores of its held-out exemplars (positive control) and random
 *             images (negative control), per variant
 *   cells     per (knob, strength, channel, seed): the AM image and its query score
 *             per variant; the baseline (nothing swept) is the knob 'baseline',
 *             rendered once per (channel, seed)
 *
 * Scores are stored as JSON, where NaN (a distance left out: the query itself)
 * becomes null; every reader treats non-finite values as missing.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FeatvisError } from '../core/errors.js';
import type { ScoreVariant } from '../metrics/embedding.js';
import type { QueryScore } from '../metrics/interpretability.js';
import type { ExemplarRef } from '../metrics/scorer.js';
import type { SweepKnob } from './config.js';

export const SWEEP_SCHEMA = 2;

export type VariantScores<T> = Partial<Record<ScoreVariant, T>>;

export interface ChannelRow {
  channel: number;
  top: ExemplarRef[];
  heldOut: ExemplarRef[];
  ceiling: VariantScores<number | null>;
}

export interface ControlRow {
  channel: number;
  seed: number;
  random: ExemplarRef[];
  /** Held-out exemplars and random images as queries, per variant. */
  queries: VariantScores<QueryScore[]>;
}

export interface CellRow {
  knob: SweepKnob | 'baseline';
  strength: number;
  channel: number;
  seed: number;
  activation: number;
  image: string;
  millis: number;
  /** The AM image as a query, per variant. */
  scores: VariantScores<QueryScore>;
}

export class SweepStore {
  readonly db: Database.Database;

  constructor(file: string, readonly = false) {
    if (!readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, readonly ? { readonly: true, fileMustExist: true } : {});
    if (readonly) {
      this.checkSchema(file);
      return;
    }
    const old = this.db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'cells'`).get() as { sql: string } | undefined;
    if (old && !old.sql.includes('scores')) {
      this.db.close();
      throw new FeatvisError(`${file} is a sweep store of schema 1; this featvis reads schema ${SWEEP_SCHEMA} (controls matched to the AM image): run the sweep into a new folder`);
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS channels (channel INTEGER PRIMARY KEY, top TEXT NOT NULL, held_out TEXT NOT NULL, ceiling TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS controls (channel INTEGER NOT NULL, seed INTEGER NOT NULL, random TEXT NOT NULL, queries TEXT NOT NULL, PRIMARY KEY (channel, seed));
      CREATE TABLE IF NOT EXISTS cells (
        knob TEXT NOT NULL, strength REAL NOT NULL, channel INTEGER NOT NULL, seed INTEGER NOT NULL,
        activation REAL NOT NULL, image TEXT NOT NULL, millis INTEGER NOT NULL, scores TEXT NOT NULL,
        PRIMARY KEY (knob, strength, channel, seed));
    `);
    const v = this.meta('schema');
    if (v === null) this.setMeta('schema', String(SWEEP_SCHEMA));
    this.checkSchema(file);
  }

  private checkSchema(file: string): void {
    const v = this.meta('schema');
    if (v !== String(SWEEP_SCHEMA)) {
      this.db.close();
      throw new FeatvisError(`${file} is a sweep store of schema ${v ?? '1'}; this featvis reads schema ${SWEEP_SCHEMA} (controls matched to the AM image): run the sweep into a new folder`);
    }
  }

  meta(key: string): string | null {
    const has = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
    if (!has) return null;
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  channels(): Map<number, ChannelRow> {
    const rows = this.db.prepare('SELECT * FROM channels ORDER BY channel').all() as Array<{ channel: number; top: string; held_out: string; ceiling: string }>;
    return new Map(rows.map((r) => [r.channel, { channel: r.channel, top: JSON.parse(r.top) as ExemplarRef[], heldOut: JSON.parse(r.held_out) as ExemplarRef[], ceiling: JSON.parse(r.ceiling) as VariantScores<number | null> }]));
  }

  putChannels(rows: readonly ChannelRow[]): void {
    const ins = this.db.prepare('INSERT OR REPLACE INTO channels (channel, top, held_out, ceiling) VALUES (?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const c of rows) ins.run(c.channel, JSON.stringify(c.top), JSON.stringify(c.heldOut), JSON.stringify(c.ceiling));
    })();
  }

  controls(): ControlRow[] {
    const rows = this.db.prepare('SELECT * FROM controls ORDER BY channel, seed').all() as Array<{ channel: number; seed: number; random: string; queries: string }>;
    return rows.map((r) => ({ channel: r.channel, seed: r.seed, random: JSON.parse(r.random) as ExemplarRef[], queries: JSON.parse(r.queries) as VariantScores<QueryScore[]> }));
  }

  putControls(c: ControlRow): void {
    this.db.prepare('INSERT OR REPLACE INTO controls (channel, seed, random, queries) VALUES (?, ?, ?, ?)').run(c.channel, c.seed, JSON.stringify(c.random), JSON.stringify(c.queries));
  }

  cells(): CellRow[] {
    const rows = this.db.prepare('SELECT * FROM cells ORDER BY knob, strength, channel, seed').all() as Array<Omit<CellRow, 'scores'> & { scores: string }>;
    return rows.map((r) => ({ ...r, scores: JSON.parse(r.scores) as VariantScores<QueryScore> }));
  }

  hasCell(knob: string, strength: number, channel: number, seed: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM cells WHERE knob = ? AND strength = ? AND channel = ? AND seed = ?').get(knob, strength, channel, seed);
  }

  putCells(rows: readonly CellRow[]): void {
    const ins = this.db.prepare(
      'INSERT INTO cells (knob, strength, channel, seed, activation, image, millis, scores) VALUES (@knob, @strength, @channel, @seed, @activation, @image, @millis, @scores)',
    );
    this.db.transaction((rs: readonly CellRow[]) => {
      for (const r of rs) ins.run({ ...r, scores: JSON.stringify(r.scores) });
    })(rows);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
