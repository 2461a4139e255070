/**
 * Notebook 03's step: one channel under each regulariser, each with its
 * strength from the settings, side by side. Penalties (l1, l2, tv, freq) run on
 * the `penaltyParam` parameterisation and are compared with `none`; the step
 * operators (decay, blur, clipping) need pixels and are compared with `pixel`.
 * Renders are cached by their settings, so changing one strength and re-running
 * renders only that variant again.
 */
import { FeatvisError } from '../core/errors.js';
import type { RgbImage } from '../data/image.js';
import type { Regularizers } from '../optvis/regularizers.js';
import { amSettings } from '../optvis/settings.js';
import { amRunKey, visualizeChannels } from '../optvis/visualize.js';
import { paramKind } from './am.js';
import { showGrid, showTable, withProgress } from './display.js';
import type { NotebookSettings } from './notebookSettings.js';
import { runDir } from './settings.js';
import { openStudy, type Study } from './study.js';

type RegSettings = NotebookSettings<'regularisers'>;

interface Variant {
  /** 'penalty' variants use penaltyParam; 'pixel' ones the pixel parameterisation. */
  on: 'penalty' | 'pixel';
  reg(s: RegSettings): Regularizers;
  strength(s: RegSettings): string;
}

/** Every variant the notebook knows, by name (the `variants` setting picks and orders them). */
export const REGULARISER_VARIANTS: Readonly<Record<string, Variant>> = {
  none: { on: 'penalty', reg: () => ({}), strength: () => '—' },
  l1: { on: 'penalty', reg: (s) => ({ l1: s.l1 }), strength: (s) => `${s.l1}` },
  l2: { on: 'penalty', reg: (s) => ({ l2: s.l2 }), strength: (s) => `${s.l2}` },
  tv: { on: 'penalty', reg: (s) => ({ tv: s.tv }), strength: (s) => `${s.tv}` },
  freq: { on: 'penalty', reg: (s) => ({ freq: s.freq }), strength: (s) => `${s.freq}` },
  pixel: { on: 'pixel', reg: () => ({}), strength: () => '—' },
  decay: { on: 'pixel', reg: (s) => ({ decay: s.decay }), strength: (s) => `${s.decay}` },
  blur: { on: 'pixel', reg: (s) => ({ blurEvery: s.blurEvery, blurSigma: s.blurSigma }), strength: (s) => `σ ${s.blurSigma} every ${s.blurEvery}` },
  clipNorm: { on: 'pixel', reg: (s) => ({ clipNormPct: s.clipNormPct }), strength: (s) => `${s.clipNormPct} %` },
  clipContrib: { on: 'pixel', reg: (s) => ({ clipContribPct: s.clipContribPct }), strength: (s) => `${s.clipContribPct} %` },
};

export interface VariantResult {
  variant: string;
  parameterisation: string;
  strength: string;
  activation: number;
  ms: number;
}

export interface RegulariserComparison {
  study: Study;
  channel: number;
  images: RgbImage[];
  rows: VariantResult[];
}

function variantNames(list: string): string[] {
  const names = list.split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of names) if (!Object.hasOwn(REGULARISER_VARIANTS, v)) throw new FeatvisError(`unknown variant '${v}' (known: ${Object.keys(REGULARISER_VARIANTS).join(', ')})`);
  if (names.length === 0) throw new FeatvisError('variants: name at least one (e.g. none,tv)');
  return names;
}

/** Renders the channel under each variant (reusing earlier renders with the same settings). */
export async function compareRegularisers(s: RegSettings): Promise<RegulariserComparison> {
  const study = await openStudy(s);
  const names = variantNames(s.variants);
  const penaltyParam = paramKind(s.penaltyParam);
  const images: RgbImage[] = [];
  const rows: VariantResult[] = [];
  await withProgress(
    'starting …',
    async (update) => {
      for (const [i, name] of names.entries()) {
        const v = REGULARISER_VARIANTS[name]!;
        const param = v.on === 'pixel' ? 'pixel' : penaltyParam;
        const settings = amSettings({ layer: study.layer, channels: [s.channel], steps: s.steps, size: s.size, param, regularizers: v.reg(s), seed: s.seed, batchSize: 1 });
        update(`${i + 1}/${names.length}: ${name} …`);
        const res = await visualizeChannels(study.model, settings, { outDir: runDir('am', study.layer, amRunKey(study.model, settings)) });
        images.push(res.images[0]!);
        rows.push({ variant: name, parameterisation: param, strength: v.strength(s), activation: res.results[0]!.activation, ms: res.results[0]!.millis });
      }
    },
    () => `${names.length} variants of channel ${s.channel}`,
  );
  return { study, channel: s.channel, images, rows };
}

/** The variants side by side (captions: variant and activation), then their table. */
export async function showRegularisers(c: RegulariserComparison): Promise<void> {
  await showGrid(c.images, {
    captions: c.rows.map((r) => `${r.variant}: ${r.activation.toFixed(2)}`),
    cols: Math.min(c.images.length, 5),
    tile: 128,
    title: `${c.study.model.name} · ${c.study.layer} · channel ${c.channel}`,
  });
  showTable(c.rows.map((r) => ({ ...r })), { title: 'Activation under each regulariser' });
}
