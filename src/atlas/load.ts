/** Reads an atlas folder's work files: what the site writer and the notebook card show. */
import fs from 'node:fs';
import { FeatvisError } from '../core/errors.js';
import { ATLAS_FORMAT, type AtlasManifest, type AtlasNeighbours, type AtlasScore, type ChannelRecord, type ChannelScore, type VariantScore } from './types.js';
import { AtlasFiles, mustReadJson, readJson } from './workFiles.js';

export interface AtlasData {
  dir: string;
  manifest: AtlasManifest;
  /** Finished channels, ascending. */
  records: ChannelRecord[];
  score: AtlasScore | null;
  neighbours: AtlasNeighbours | null;
}

export function loadAtlas(dir: string): AtlasData {
  const files = new AtlasFiles(dir);
  if (!fs.existsSync(files.manifest)) throw new FeatvisError(`${dir} holds no atlas (no work/atlas.json): make one with featvis atlas`);
  const manifest = mustReadJson<AtlasManifest>(files.manifest, 'the atlas manifest');
  if (manifest.featvis !== ATLAS_FORMAT) throw new FeatvisError(`${files.manifest} is not a ${ATLAS_FORMAT} manifest`);
  const records = manifest.channels.flatMap((c) => {
    const r = readJson<ChannelRecord>(files.channel(c));
    return r ? [r] : [];
  });
  return { dir, manifest, records, score: readJson<AtlasScore>(files.score), neighbours: readJson<AtlasNeighbours>(files.neighbours) };
}

/** The variant the pages lead with: the study's formula where scored. */
export function primaryVariant(score: AtlasScore | null): VariantScore | null {
  return score?.variants.find((v) => v.variant === 'lpips') ?? score?.variants[0] ?? null;
}

export function channelScore(v: VariantScore | null, channel: number): ChannelScore | null {
  return v?.channels.find((c) => c.channel === channel) ?? null;
}

export function channelLabel(m: AtlasManifest, channel: number): string | null {
  const l = m.labels[String(channel)];
  return typeof l === 'string' && l.length > 0 ? l : null;
}
