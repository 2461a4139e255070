/**
 * One batch of channels of one layer, one image each: the unit of work of AM
 * runs (visualize.ts), sweeps, the atlas and the benches. Each channel's
 * starting image comes from its own seed (channelSeed), so it does not depend
 * on which channels share its batch.
 */
import { tf } from '../backend/tf.js';
import { batchToImages, type RgbImage } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { channels as channelObjective, type Objective } from './objectives.js';
import { createParam } from './param/index.js';
import { render, type StepInfo } from './render.js';
import { channelSeed, type AmImageSettings } from './settings.js';
import type { Regularizers } from './regularizers.js';

export interface ChannelBatch extends AmImageSettings {
  layer: string;
  channels: readonly number[];
  regularizers: Regularizers;
  seed: number;
  snapshots?: readonly number[];
  /** Added to each channel's objective (e.g. a diversity term); default none. */
  extra?: Objective;
  /**
   * Starting seed of each image (default channelSeed(seed, channel)): a batch
   * that repeats a channel (a diverse set, diversity.ts) needs distinct ones.
   */
  imageSeeds?: readonly number[];
}

export interface ChannelBatchResult {
  /** Images in the order of `channels`, host copies. */
  images: RgbImage[];
  /** Each channel's objective on its final, untransformed image. */
  activations: number[];
  /** Per snapshot step, the batch's images then. */
  snapshots: Array<{ step: number; images: RgbImage[] }>;
  millis: number;
}

export async function renderChannels(
  model: FeatModel,
  b: ChannelBatch,
  opts: { signal?: AbortSignal; onStep?: (info: StepInfo) => void } = {},
): Promise<ChannelBatchResult> {
  if (b.imageSeeds && b.imageSeeds.length !== b.channels.length) throw new FeatvisError(`imageSeeds has ${b.imageSeeds.length} seeds for ${b.channels.length} images`);
  const param = createParam(b.param, {
    ...b.paramOptions,
    batch: b.channels.length,
    height: b.size,
    width: b.size,
    seed: b.imageSeeds ? [...b.imageSeeds] : b.channels.map((c) => channelSeed(b.seed, c)),
    decorrelate: b.decorrelate,
  });
  try {
    const main = channelObjective(b.layer, b.channels);
    const r = await render(model, b.extra ? main.plus(b.extra) : main, param, {
      steps: b.steps,
      learningRate: b.learningRate,
      transforms: b.transforms,
      regularizers: b.regularizers,
      seed: b.seed,
      snapshots: b.snapshots ?? [],
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
    try {
      const images = await batchToImages(r.images);
      const snapshots = [];
      for (const s of r.snapshots) snapshots.push({ step: s.step, images: await batchToImages(s.images) });
      return { images, activations: r.activations, snapshots, millis: r.millis };
    } finally {
      tf.dispose([r.images, ...r.snapshots.map((s) => s.images)]);
    }
  } finally {
    param.dispose();
  }
}
