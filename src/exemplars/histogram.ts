/**
 * A bounded histogram of a stream of numbers whose range is not known in
 * advance (a channel's activation over a dataset, accumulated while mining).
 *
 * Bins are [k·w, (k+1)·w) with w = 2^exponent on a grid anchored at 0; at most
 * MAX_BINS consecutive bins are kept, from the lowest non-empty one. A value
 * outside the window first shifts it; where the span no longer fits, the width
 * doubles (bins k merge into ⌊k/2⌋: exact). So the final histogram depends only
 * on the values, never on their order or on batch boundaries: the smallest
 * width (≥ 2^MIN_EXPONENT) at which [min, max] spans at most MAX_BINS bins,
 * with exact counts. Non-finite values are counted apart and never binned.
 */

export const MAX_BINS = 64;
export const MIN_EXPONENT = -30;

export interface HistogramData {
  /** Bin width 2^exponent. */
  exponent: number;
  /** Grid index of counts[0]: it covers [lo·w, (lo+1)·w). */
  lo: number;
  counts: number[];
  /** Finite values binned. */
  n: number;
  sum: number;
  min: number;
  max: number;
  /** Values left out (NaN, ±Infinity). */
  nonFinite: number;
}

export class StreamHistogram {
  private exponent = MIN_EXPONENT;
  private width = 2 ** MIN_EXPONENT;
  private lo = 0;
  private counts: number[] = [];
  private n = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  private nonFinite = 0;

  static from(d: HistogramData): StreamHistogram {
    const h = new StreamHistogram();
    h.exponent = d.exponent;
    h.width = 2 ** d.exponent;
    h.lo = d.lo;
    h.counts = [...d.counts];
    h.n = d.n;
    h.sum = d.sum;
    h.min = d.n ? d.min : Infinity;
    h.max = d.n ? d.max : -Infinity;
    h.nonFinite = d.nonFinite;
    return h;
  }

  add(v: number): void {
    if (!Number.isFinite(v)) {
      this.nonFinite++;
      return;
    }
    let k = Math.floor(v / this.width);
    if (this.counts.length === 0) {
      this.lo = k;
      this.counts = [0];
    } else if (k < this.lo || k >= this.lo + this.counts.length) {
      let lo = Math.min(this.lo, k);
      let hi = Math.max(this.lo + this.counts.length - 1, k);
      while (hi - lo >= MAX_BINS) {
        this.coarsen();
        k = Math.floor(v / this.width);
        lo = Math.min(this.lo, k);
        hi = Math.max(this.lo + this.counts.length - 1, k);
      }
      const counts = new Array<number>(hi - lo + 1).fill(0);
      this.counts.forEach((c, i) => (counts[this.lo + i - lo] = c));
      this.lo = lo;
      this.counts = counts;
    }
    this.counts[k - this.lo]!++;
    this.n++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Doubles the bin width: bin k becomes ⌊k/2⌋. */
  private coarsen(): void {
    const lo = Math.floor(this.lo / 2);
    const hi = Math.floor((this.lo + this.counts.length - 1) / 2);
    const counts = new Array<number>(hi - lo + 1).fill(0);
    this.counts.forEach((c, i) => (counts[Math.floor((this.lo + i) / 2) - lo]! += c));
    this.exponent++;
    this.width *= 2;
    this.lo = lo;
    this.counts = counts;
  }

  toJSON(): HistogramData {
    return { exponent: this.exponent, lo: this.lo, counts: [...this.counts], n: this.n, sum: this.sum, min: this.n ? this.min : 0, max: this.n ? this.max : 0, nonFinite: this.nonFinite };
  }
}

/** Bin edges of a histogram: counts[i] covers [edges[i], edges[i + 1]). */
export function histogramEdges(h: HistogramData): number[] {
  const w = 2 ** h.exponent;
  return Array.from({ length: h.counts.length + 1 }, (_, i) => (h.lo + i) * w);
}
