/** `featvis top9`: mine the top-k dataset exemplars of a layer's channels (resumable) and write contact sheets. */
import path from 'node:path';
import { mineExemplars } from '../exemplars/mine.js';
import { writeChannelSheet, writeRangeSheet } from '../exemplars/sheet.js';
import { ExemplarStore } from '../exemplars/store.js';
import { loadModel } from '../models/load.js';
import { expandChannelRanges, parseChannelRanges } from '../optvis/objectiveParse.js';
import { FeatvisError } from '../core/errors.js';
import type { CommandArgs } from './options.js';
import { Progress } from './progress.js';
import { defaultLayer } from '../models/defaults.js';
import { fileSafe } from '../core/names.js';
import { walkImages, type SkippedEntry } from '../data/folder.js';
import { writeFileAtomic } from '../data/image.js';

/** Prints the folder entries the walk skipped (the first 20) and writes them all to `file`. */
function reportFolderSkips(skipped: readonly SkippedEntry[], file: string): void {
  if (skipped.length === 0) return;
  console.log(`skipped ${skipped.length} folder entries:`);
  for (const s of skipped.slice(0, 20)) console.log(`  ${s.path}: ${s.reason}`);
  writeFileAtomic(file, skipped.map((s) => `${s.path}\t${s.reason}\n`).join(''));
  console.log(skipped.length > 20 ? `  … ${skipped.length - 20} more; all listed in ${file}` : `  (listed in ${file})`);
}

export async function run(a: CommandArgs): Promise<void> {
  const images = a.str('images');
  const modelSrc = a.str('model');
  const layersFlag = a.list('layers');
  const k = a.int('k', { min: 1, max: 100 });
  const sizeFlag = a.optInt('size', { min: 16, max: 4096 });
  const batch = a.int('batch', { min: 1 });
  const reduce = a.choice('reduce', ['mean', 'max'] as const);
  const sheetRanges = parseChannelRanges(a.str('sheets'));
  const rangeFlag = a.optStr('range-sheet');
  const range = rangeFlag === undefined ? undefined : parseChannelRanges(rangeFlag);
  const crop = a.bool('crop');
  const outFlag = a.optStr('out');
  const storeFlag = a.optStr('store');
  const model = await loadModel(modelSrc);
  const layers = layersFlag?.length ? layersFlag : [defaultLayer(model)];
  const out = outFlag ?? path.join('runs', 'top9', fileSafe(model.name));
  const storeFile = storeFlag ?? path.join(out, 'exemplars.sqlite');
  const size: [number, number] = sizeFlag ? [sizeFlag, sizeFlag] : model.preprocess.size;
  const folders = images.split(',').map((s) => s.trim()).filter(Boolean);
  if (folders.length === 0) throw new FeatvisError('featvis top9: --images names no folder');
  // Each folder is walked once: by the miner for one folder, here for several (then mined as a file list).
  const walks = folders.length === 1 ? [] : folders.map((f) => walkImages(f));
  const files = walks.flatMap((w) => w.entries.map((e) => e.path));
  if (walks.length > 0 && files.length === 0) throw new FeatvisError(`no images found in ${images}`);
  let bar: Progress | null = null;
  const res = await mineExemplars({
    model,
    layers,
    images: walks.length === 0 ? folders[0]! : files,
    k,
    batchSize: batch,
    store: storeFile,
    size,
    reduce,
    onProgress: (p) => {
      bar ??= new Progress({ label: 'top9', total: p.total, unit: 'images', start: p.done - p.doneThisCall });
      bar.update(p.done, `${p.skipped} skipped`);
    },
  });
  (bar as Progress | null)?.finish();
  console.log(`mined ${res.mined} images (${res.alreadyDone} already done) → ${storeFile}`);
  if (res.skipped.length) {
    console.log(`skipped ${res.skipped.length} unreadable files:`);
    for (const s of res.skipped.slice(0, 20)) console.log(`  ${s.path}: ${s.reason}`);
  }
  reportFolderSkips([...res.folderSkipped, ...walks.flatMap((w) => w.skipped)], path.join(out, 'skipped-entries.txt'));
  const store = new ExemplarStore(storeFile, { readonly: true });
  try {
    for (const layer of layers) {
      const channels = model.layers.find((l) => l.name === layer)!.shape.at(-1)!;
      const sheets = expandChannelRanges(sheetRanges, { channels, layer, clip: true });
      for (const c of sheets) {
        const f = path.join(out, 'sheets', `${fileSafe(layer)}_${c}.png`);
        await writeChannelSheet(store, layer, c, f, { crop, reduce, runId: res.runId });
      }
      if (range) {
        const list = expandChannelRanges(range, { channels, layer, clip: true });
        if (list.length === 0) throw new FeatvisError(`--range-sheet ${rangeFlag}: layer '${layer}' has no such channel (it has ${channels})`);
        const f = path.join(out, 'sheets', `${fileSafe(layer)}_range_${list[0]}-${list.at(-1)}.png`);
        await writeRangeSheet(store, layer, list, f, { crop, reduce, runId: res.runId });
        console.log(`wrote ${f}`);
      }
      console.log(`wrote ${sheets.length} channel sheets for ${layer} under ${path.join(out, 'sheets')}`);
    }
  } finally {
    store.close();
    model.dispose();
  }
}
