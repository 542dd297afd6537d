/** Minimal scales and ticks for the hand-drawn SVG plots (parallel coordinates, scatter). */

export type Scale = (v: number) => number;

export function linearScale([d0, d1]: [number, number], [r0, r1]: [number, number]): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Log scale for positive domains (values ≤ 0 map to the bottom). */
export function logScale([d0, d1]: [number, number], [r0, r1]: [number, number]): Scale {
  const a = Math.log10(d0);
  const b = Math.log10(d1);
  const span = b - a || 1;
  return (v) => (v > 0 ? r0 + ((Math.log10(v) - a) / span) * (r1 - r0) : r0);
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Padded numeric extent of values, or null if none is finite. */
export function extent(values: readonly (number | null | undefined)[], pad = 0): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return null;
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.1, hi + (Math.abs(hi) || 1) * 0.1];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** True when every present value is a positive number spanning over two orders of magnitude. */
export function prefersLog(values: readonly unknown[]): boolean {
  const nums = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (nums.length < 2 || nums.some((v) => v <= 0)) return false;
  return Math.max(...nums) / Math.min(...nums) >= 100;
}
