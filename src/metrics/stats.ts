/**
 * The statistics the score reports: mean with a Student-t interval, Wilson's
 * interval for a proportion (identification accuracy), and paired differences.
 */

export interface MeanCI {
  mean: number;
  /** 95 % half-width (Student t, n − 1 degrees of freedom); null with fewer than 2 values. */
  halfWidth: number | null;
  n: number;
}

/** two-sided 97.5 % quantiles of Student's t for df = 1..30; normal beyond. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean and 95 % confidence half-width (Student t) of independent values. */
export function meanCI(values: readonly number[]): MeanCI {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, n);
  if (n < 2) return { mean: n ? mean : Number.NaN, halfWidth: null, n };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const t = T975[n - 2] ?? 1.96;
  return { mean, halfWidth: (t * sd) / Math.sqrt(n), n };
}

/** True when the 95 % interval excludes 0 (false without an interval). */
export function excludesZero(ci: MeanCI): boolean {
  return ci.halfWidth !== null && Number.isFinite(ci.mean) && Math.abs(ci.mean) > ci.halfWidth;
}

export interface Proportion {
  successes: number;
  trials: number;
  /** successes / trials (NaN without trials). */
  rate: number;
  /** Wilson score interval, 95 % (z = 1.96). */
  low: number;
  high: number;
}

/** Wilson score interval (95 %) of `successes` out of `trials`; ties may count ½. */
export function wilson(successes: number, trials: number, z = 1.959964): Proportion {
  if (trials <= 0) return { successes, trials, rate: Number.NaN, low: Number.NaN, high: Number.NaN };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { successes, trials, rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Paired differences a − b over the keys both have (e.g. "channel/seed"),
 * with their mean and 95 % Student-t interval.
 */
export function pairedDifference(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): MeanCI & { keys: string[] } {
  const keys = [...a.keys()].filter((k) => b.has(k) && Number.isFinite(a.get(k)!) && Number.isFinite(b.get(k)!)).sort();
  return { ...meanCI(keys.map((k) => a.get(k)! - b.get(k)!)), keys };
}

/**
 * Ratio of means Σnum / Σden over units (e.g. channel × seed) with a 95 %
 * delta-method interval (Student t, n − 1 df): stable where single ratios are
 * not (a unit whose denominator is near 0). NaN (undefined) unless the mean
 * denominator is clearly above 0: > 0, and with 2+ units its own 95 % interval
 * excludes 0 — a ratio over a denominator that may be 0 measures nothing.
 */
export function ratioCI(num: readonly number[], den: readonly number[]): MeanCI {
  const n = Math.min(num.length, den.length);
  if (n === 0) return { mean: Number.NaN, halfWidth: null, n: 0 };
  const mn = num.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const dCI = meanCI(den.slice(0, n));
  const md = dCI.mean;
  if (!(md > 0) || (dCI.halfWidth !== null && md <= dCI.halfWidth)) return { mean: Number.NaN, halfWidth: null, n };
  const r = mn / md;
  if (n < 2) return { mean: r, halfWidth: null, n };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (num[i]! - r * den[i]!) ** 2;
  const se = Math.sqrt(ss / (n - 1) / n) / md;
  return { mean: r, halfWidth: (T975[n - 2] ?? 1.96) * se, n };
}
