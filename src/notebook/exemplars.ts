/**
 * Notebook 04's step (and 05's first): mine the top-k dataset exemplars of
 * the study's layer in one resumable pass (an SQLite store shared by the
 * notebooks), then show them as contact sheets and a table.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sampleFolder } from '../data/sample.js';
import { mineExemplars as mine } from '../exemplars/mine.js';
import { renderChannelSheet, writeRangeSheet } from '../exemplars/sheet.js';
import { ExemplarStore } from '../exemplars/store.js';
import { parseChannelList } from '../optvis/objectiveParse.js';
import { showPng, showTable, withProgress } from './display.js';
import { outputDir, resolvePath } from './settings.js';
import { openStudy, type Study } from './study.js';

export interface MinedExemplars {
  study: Study;
  storeFile: string;
  runId: number;
  /** Exemplars kept per channel. */
  k: number;
  images: number;
}

export interface MineSettings {
  model: string;
  layer: string;
  imageFolder: string;
  imageLimit: number;
  k: number;
  mineBatch: number;
}

/** Mines (or reuses) the top-`keep` exemplars of the study's layer; `keep` defaults to the k setting. */
export async function mineExemplars(s: MineSettings, keep: number = s.k): Promise<MinedExemplars> {
  const study = await openStudy(s);
  const root = resolvePath(s.imageFolder);
  const files = sampleFolder(root, s.imageLimit > 0 ? s.imageLimit : undefined);
  const storeFile = path.join(outputDir('exemplars'), 'exemplars.sqlite');
  const mined = await withProgress(
    `mining ${files.length} images …`,
    (update) =>
      mine({
        model: study.model,
        layers: [study.layer],
        images: { root, files },
        k: keep,
        batchSize: s.mineBatch,
        store: storeFile,
        onProgress: (p) => update(`${p.done}/${p.total} images, ${p.imagesPerSecond.toFixed(1)} img/s`),
      }),
    (m) => `${m.total} images (${m.alreadyDone} from an earlier run) in ${m.seconds.toFixed(1)} s`,
  );
  showTable([{ images: mined.total, 'mined now': mined.mined, skipped: mined.skipped.length, seconds: mined.seconds, 'images / s': mined.imagesPerSecond, store: storeFile }], { title: 'Mining' });
  return { study, storeFile, runId: mined.runId, k: keep, images: mined.total };
}

/** The range sheet of `channels`, one channel's whole images and crops, and the per-channel table. */
export async function showTop9(ex: MinedExemplars, channels: string): Promise<void> {
  const { study } = ex;
  const list = parseChannelList(channels, { channels: study.info.shape.at(-1) ?? 0, layer: study.layer, clip: true });
  const store = new ExemplarStore(ex.storeFile, { readonly: true });
  try {
    const opts = { runId: ex.runId };
    const sheet = await writeRangeSheet(store, study.layer, list, path.join(outputDir('top9'), 'range.png'), opts);
    showPng(fs.readFileSync(sheet.file), `top-${ex.k} for channels ${list[0]}–${list.at(-1)}`);
    const c0 = list[0]!;
    showPng((await renderChannelSheet(store, study.layer, c0, opts)).png, `channel ${c0}, whole images`);
    showPng((await renderChannelSheet(store, study.layer, c0, { ...opts, crop: true })).png, `channel ${c0}, crops`);
    showTable(
      list.map((c) => {
        const top = store.topK(study.layer, c, undefined, opts);
        const classes = new Set(top.map((e) => e.imageId.split('/')[0]));
        return { channel: c, 'top-1 value': top[0]?.value ?? null, [`top-${ex.k} value`]: top.at(-1)?.value ?? null, 'top-1 image': top[0]?.imageId ?? '', 'classes among top-k': classes.size };
      }),
      { title: `Top-${ex.k} per channel (${study.layer})` },
    );
  } finally {
    store.close();
  }
}
