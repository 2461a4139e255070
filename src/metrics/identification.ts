/**
 * Channel identification: a machine two-alternative forced choice in the spirit
 * of Borowski et al. (ICLR 2021) and the Machine Interpretability Score
 * (Zimmermann et al., NeurIPS 2024). For a query image of channel c (its AM
 * image, a held-out exemplar, a random photo drawn for it) and every other
 * channel c′ of the same layer, one trial asks: is d(query, top-k of c) <
 * d(query, top-k of c′)? A tie counts ½.
 *
 * Accuracy should be high for held-out exemplars (positive control: the metric
 * can tell the channels apart at all), ≈ 50 % for random photos (negative
 * control), and tells how recognisable the AM images are. The interval is
 * Wilson's 95 % score interval over trials. Trials that share a query or a
 * channel are not independent, so `perChannel` also gives each channel's
 * accuracy averaged over channels with a Student-t interval: the wider of the
 * two is the honest one.
 */
import { meanCI, wilson, type MeanCI, type Proportion } from './stats.js';

/** What a trial needs of a query: its channel and its mean distance to each channel's top-k. */
export interface IdentificationQuery {
  channel: number;
  /** Mean distance to each channel's top-k, aligned with `channels`. */
  toTop: readonly number[];
}

export interface Identification extends Proportion {
  /** Query images that took part. */
  queries: number;
  /** Channels with at least one trial. */
  channels: number;
  /** Accuracy per channel, averaged over channels (95 % Student t). */
  perChannel: MeanCI;
}

/** 2AFC accuracy of `queries` over every pair (own channel, other channel) of `channels`. */
export function identification(queries: readonly IdentificationQuery[], channels: readonly number[]): Identification {
  const index = new Map(channels.map((c, i) => [c, i]));
  let correct = 0;
  let trials = 0;
  let used = 0;
  const byChannel = new Map<number, { correct: number; trials: number }>();
  for (const q of queries) {
    const own = index.get(q.channel);
    if (own === undefined) continue;
    const dOwn = q.toTop[own]!;
    if (!Number.isFinite(dOwn)) continue;
    let t = 0;
    let c = 0;
    for (let j = 0; j < channels.length; j++) {
      const d = q.toTop[j]!;
      if (j === own || !Number.isFinite(d)) continue;
      t++;
      c += dOwn < d ? 1 : dOwn === d ? 0.5 : 0;
    }
    if (t === 0) continue;
    used++;
    correct += c;
    trials += t;
    const acc = byChannel.get(q.channel) ?? { correct: 0, trials: 0 };
    acc.correct += c;
    acc.trials += t;
    byChannel.set(q.channel, acc);
  }
  return {
    ...wilson(correct, trials),
    queries: used,
    channels: byChannel.size,
    perChannel: meanCI([...byChannel.values()].map((a) => a.correct / a.trials)),
  };
}
