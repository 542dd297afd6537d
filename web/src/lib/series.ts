/**
 * Metric series on the client: parsing the API's values, merging fresh points into what is
 * loaded, min/max-preserving downsampling, aligning many runs on one x axis for uPlot, and
 * aggregating a group of runs into mean / min / max.
 */
import { toNumber } from "./format";
import type { XAxis } from "./urlState";

export interface RawSeries {
  steps: number[];
  times: number[];
  values: unknown[];
}

/** Points of one series, sorted by step. Values keep NaN and ±Infinity. */
export interface Points {
  steps: number[];
  times: number[];
  values: number[];
}

export const EMPTY_POINTS: Points = { steps: [], times: [], values: [] };

export function parsePoints(raw: RawSeries): Points {
  const n = Math.min(raw.steps.length, raw.values.length);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = toNumber(raw.values[i]) ?? NaN;
  return { steps: raw.steps.slice(0, n), times: raw.times.slice(0, n), values };
}

export function lastStep(p: Points): number | null {
  return p.steps.length ? (p.steps[p.steps.length - 1] as number) : null;
}

/** `a` with the points of `b`; where both have a step, `b` wins. */
export function mergePoints(a: Points, b: Points): Points {
  if (b.steps.length === 0) return a;
  if (a.steps.length === 0) return b;
  const aLast = a.steps[a.steps.length - 1] as number;
  if ((b.steps[0] as number) > aLast) {
    return { steps: a.steps.concat(b.steps), times: a.times.concat(b.times), values: a.values.concat(b.values) };
  }
  const taken = new Set(b.steps);
  const out: Points = { steps: [], times: [], values: [] };
  let i = 0;
  let j = 0;
  const push = (p: Points, k: number) => {
    out.steps.push(p.steps[k] as number);
    out.times.push(p.times[k] as number);
    out.values.push(p.values[k] as number);
  };
  while (i < a.steps.length || j < b.steps.length) {
    if (i < a.steps.length && taken.has(a.steps[i] as number)) {
      i++;
      continue;
    }
    if (j >= b.steps.length || (i < a.steps.length && (a.steps[i] as number) < (b.steps[j] as number))) push(a, i++);
    else push(b, j++);
  }
  return out;
}

/**
 * Keep at most ~2 points per bucket: the minimum and the maximum (in step order), so spikes
 * survive. A bucket holding a non-finite value keeps one of those too, so gaps stay visible.
 */
export function downsampleMinMax(p: Points, buckets: number): Points {
  const n = p.steps.length;
  if (buckets <= 0 || n <= 2 * buckets) return p;
  const out: Points = { steps: [], times: [], values: [] };
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(n, Math.floor((b + 1) * size));
    let lo = -1;
    let hi = -1;
    let bad = -1;
    for (let k = start; k < end; k++) {
      const v = p.values[k] as number;
      if (!Number.isFinite(v)) {
        if (bad < 0) bad = k;
        continue;
      }
      if (lo < 0 || v < (p.values[lo] as number)) lo = k;
      if (hi < 0 || v > (p.values[hi] as number)) hi = k;
    }
    const keep = [...new Set([lo, hi, bad].filter((k) => k >= 0))].sort((x, y) => x - y);
    for (const k of keep) {
      out.steps.push(p.steps[k] as number);
      out.times.push(p.times[k] as number);
      out.values.push(p.values[k] as number);
    }
  }
  return out;
}

/** The x values of a series for an axis mode; `start` is the run's start time (epoch s). */
export function xValues(p: Points, mode: XAxis, start: number): number[] {
  if (mode === "step") return p.steps;
  if (mode === "time") return p.times;
  if (mode === "elapsed") return p.steps.map((ms) => ms / 1000);
  return p.times.map((t) => t - start);
}

/** uPlot data values: finite numbers, null for a gap (NaN, ±Inf), undefined for "no point here". */
export type Cell = number | null | undefined;

export interface Aligned {
  x: number[];
  ys: Cell[][];
  quantized: boolean;
}

/**
 * Put many series on one shared, sorted x array (uPlot's data layout). When the union of x
 * values times the number of series would exceed `maxCells`, x is snapped to a grid so the
 * arrays stay small; at chart resolution the difference is invisible.
 */
export function alignSeries(
  series: readonly { x: readonly number[]; y: readonly (number | null)[] }[],
  maxCells = 2_000_000,
): Aligned {
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const s of series) {
    total += s.x.length;
    for (const v of s.x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (total === 0) return { x: [], ys: series.map(() => []), quantized: false };
  const all = new Float64Array(total);
  let k = 0;
  for (const s of series) for (const v of s.x) all[k++] = v;
  all.sort();
  let unique: number[] = [];
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) unique.push(all[i] as number);

  let snap: ((v: number) => number) | null = null;
  if (unique.length * Math.max(series.length, 1) > maxCells && max > min) {
    const grid = Math.max(1000, Math.floor(maxCells / series.length));
    const width = (max - min) / (grid - 1);
    snap = (v) => min + Math.round((v - min) / width) * width;
    const snapped: number[] = [];
    for (const v of unique) {
      const s = snap(v);
      if (snapped.length === 0 || snapped[snapped.length - 1] !== s) snapped.push(s);
    }
    unique = snapped;
  }
  const index = new Map<number, number>();
  unique.forEach((v, i) => index.set(v, i));
  const ys = series.map((s) => {
    const col: Cell[] = new Array(unique.length).fill(undefined);
    for (let i = 0; i < s.x.length; i++) {
      const xv = snap ? snap(s.x[i] as number) : (s.x[i] as number);
      const at = index.get(xv);
      if (at === undefined) continue;
      const v = s.y[i];
      col[at] = v === null || v === undefined || !Number.isFinite(v) ? null : v;
    }
    return col;
  });
  return { x: unique, ys, quantized: snap !== null };
}

export interface Aggregate {
  x: number[];
  mean: number[];
  min: number[];
  max: number[];
}

/**
 * Mean, min and max of a group of runs: x is cut into `bins` equal bins; each run contributes
 * the mean of its finite values in a bin; bins no run has data in are left out.
 */
export function aggregateGroup(members: readonly { x: readonly number[]; y: readonly number[] }[], bins: number): Aggregate {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of members) {
    for (let i = 0; i < m.x.length; i++) {
      if (!Number.isFinite(m.y[i] as number)) continue;
      const v = m.x[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const out: Aggregate = { x: [], mean: [], min: [], max: [] };
  if (!(hi >= lo)) return out;
  const nb = Math.max(1, Math.floor(bins));
  const width = hi > lo ? (hi - lo) / nb : 1;
  const binOf = (v: number) => Math.min(nb - 1, Math.floor((v - lo) / width));
  const sum = new Float64Array(nb);
  const cnt = new Uint32Array(nb);
  const mn = new Float64Array(nb).fill(Infinity);
  const mx = new Float64Array(nb).fill(-Infinity);
  const xsum = new Float64Array(nb);
  for (const m of members) {
    const s = new Float64Array(nb);
    const c = new Uint32Array(nb);
    const xs = new Float64Array(nb);
    for (let i = 0; i < m.x.length; i++) {
      const y = m.y[i] as number;
      if (!Number.isFinite(y)) continue;
      const b = binOf(m.x[i] as number);
      s[b] = (s[b] as number) + y;
      xs[b] = (xs[b] as number) + (m.x[i] as number);
      c[b] = (c[b] as number) + 1;
    }
    for (let b = 0; b < nb; b++) {
      const cb = c[b] as number;
      if (!cb) continue;
      const avg = (s[b] as number) / cb;
      sum[b] = (sum[b] as number) + avg;
      xsum[b] = (xsum[b] as number) + (xs[b] as number) / cb;
      cnt[b] = (cnt[b] as number) + 1;
      if (avg < (mn[b] as number)) mn[b] = avg;
      if (avg > (mx[b] as number)) mx[b] = avg;
    }
  }
  for (let b = 0; b < nb; b++) {
    const cb = cnt[b] as number;
    if (!cb) continue;
    out.x.push((xsum[b] as number) / cb);
    out.mean.push((sum[b] as number) / cb);
    out.min.push(mn[b] as number);
    out.max.push(mx[b] as number);
  }
  return out;
}

/** Index of the x value nearest to `x` in a sorted array (−1 when empty). */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs((xs[lo - 1] as number) - x) <= Math.abs((xs[lo] as number) - x)) return lo - 1;
  return lo;
}

/** Count of finite values. */
export function countFinite(values: readonly (number | null | undefined)[]): number {
  let n = 0;
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) n++;
  return n;
}
