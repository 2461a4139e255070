/**
 * A channel's page data, made once its AM images are committed: the site's
 * JPEGs (AM image, diverse set, top-k exemplars as whole images and as
 * receptive-field crops, cut by the exemplar sheets' TileMaker exactly as
 * mining saw them), its exemplar ids and its activation histogram from the
 * store. Written last: the record marks the channel finished.
 */
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../data/image.js';
import type { ExemplarStore, RunInfo } from '../exemplars/store.js';
import { TileMaker } from '../exemplars/sheet.js';
import { AtlasFiles, writeJson } from './workFiles.js';
import type { ChannelRecord } from './types.js';
import type { DiverseBatchFile, MainBatch } from './amPhase.js';

const AM_QUALITY = 90;
const THUMB_QUALITY = 85;

async function pngToJpeg(src: string, dest: string): Promise<void> {
  writeFileAtomic(dest, await sharp(src).jpeg({ quality: AM_QUALITY, mozjpeg: true }).toBuffer());
}

async function rawToJpeg(raw: Buffer, side: number, dest: string): Promise<void> {
  writeFileAtomic(dest, await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: THUMB_QUALITY, mozjpeg: true }).toBuffer());
}

export interface RecordContext {
  files: AtlasFiles;
  store: ExemplarStore;
  run: RunInfo;
  layer: string;
  k: number;
  thumb: number;
  whole: TileMaker;
  crops: TileMaker;
}

export function recordContext(files: AtlasFiles, store: ExemplarStore, run: RunInfo, layer: string, k: number, thumb: number): RecordContext {
  return { files, store, run, layer, k, thumb, whole: new TileMaker(run, thumb, false), crops: new TileMaker(run, thumb, true) };
}

export async function writeChannelRecord(ctx: RecordContext, channel: number, main: MainBatch, diverse: DiverseBatchFile | null): Promise<ChannelRecord> {
  const { files } = ctx;
  const i = main.channels.indexOf(channel);
  await pngToJpeg(path.join(files.work, main.files[i]!), path.join(files.root, AtlasFiles.amImage(channel)));
  let div: ChannelRecord['diverse'] = null;
  const set = diverse?.sets.find((s) => s.channel === channel);
  if (diverse && set) {
    const images: string[] = [];
    for (const [j, f] of set.files.entries()) {
      const rel = AtlasFiles.diverseImage(channel, j);
      await pngToJpeg(path.join(files.work, f), path.join(files.root, rel));
      images.push(rel);
    }
    div = { images, activations: set.activations, similarity: set.similarity, weight: diverse.weights[diverse.channels.indexOf(channel)]! };
  }
  const top = ctx.store.topK(ctx.layer, channel, 'mean', { runId: ctx.run.id });
  const exemplars: ChannelRecord['exemplars'] = [];
  for (const e of top.slice(0, ctx.k)) {
    const image = AtlasFiles.exemplarImage(channel, e.rank);
    const crop = AtlasFiles.cropImage(channel, e.rank);
    await rawToJpeg(await ctx.whole.make(e), ctx.thumb, path.join(files.root, image));
    await rawToJpeg(await ctx.crops.make(e), ctx.thumb, path.join(files.root, crop));
    exemplars.push({ rank: e.rank, imageId: e.imageId, value: e.value, image, crop });
  }
  const record: ChannelRecord = {
    channel,
    am: { image: AtlasFiles.amImage(channel), png: main.files[i]!, activation: main.activations[i]! },
    diverse: div,
    exemplars,
    topIds: top.map((e) => e.imageId),
    histogram: ctx.store.histogram(ctx.layer, channel, 'mean', { runId: ctx.run.id }),
  };
  writeJson(files.channel(channel), record);
  return record;
}
