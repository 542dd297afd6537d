/**
 * Turning the loaded points of a panel's lines (runs or groups of runs) into uPlot's aligned
 * data: x per axis mode, log-scale clipping, smoothing with the raw line kept, group bands.
 */
import { emaSmooth } from "./smoothing";
import { aggregateGroup, alignSeries, type Cell, type Points, xValues } from "./series";
import type { XAxis } from "./urlState";

export interface LineInput {
  id: string;
  label: string;
  color: string;
  /** One member for a run; several for a group (drawn as mean with a min–max band). */
  members: { points: Points; start: number }[];
  group: boolean;
}

export type SeriesRole = "raw" | "main" | "min" | "max";

export interface BuiltSeries {
  lineId: string;
  role: SeriesRole;
  color: string;
  label: string;
}

export interface TooltipSource {
  label: string;
  color: string;
  xs: number[];
  ys: (number | null)[];
  lo?: (number | null)[];
  hi?: (number | null)[];
}

export interface BuiltChart {
  x: number[];
  ys: Cell[][];
  series: BuiltSeries[];
  tooltip: TooltipSource[];
  points: number; // finite raw points drawn
  minStep: number | null;
  maxStep: number | null;
}

function clip(values: readonly number[], log: boolean): (number | null)[] {
  return values.map((v) => (!Number.isFinite(v) || (log && v <= 0) ? null : v));
}

export function buildChart(lines: readonly LineInput[], opts: { xAxis: XAxis; smoothing: number; logScale: boolean; bins: number }): BuiltChart {
  const cols: { x: number[]; y: (number | null)[] }[] = [];
  const series: BuiltSeries[] = [];
  const tooltip: TooltipSource[] = [];
  let points = 0;
  let minStep: number | null = null;
  let maxStep: number | null = null;
  const smooth = opts.smoothing > 0;

  for (const line of lines) {
    for (const m of line.members) {
      const s = m.points.steps;
      if (s.length) {
        const a = s[0] as number;
        const b = s[s.length - 1] as number;
        minStep = minStep === null ? a : Math.min(minStep, a);
        maxStep = maxStep === null ? b : Math.max(maxStep, b);
      }
    }
    if (!line.group) {
      const m = line.members[0];
      if (!m) continue;
      const x = xValues(m.points, opts.xAxis, m.start);
      const y = clip(m.points.values, opts.logScale);
      for (const v of y) if (v !== null) points++;
      if (smooth) {
        cols.push({ x, y });
        series.push({ lineId: line.id, role: "raw", color: line.color, label: line.label });
      }
      const main = smooth ? emaSmooth(y, opts.smoothing) : y;
      cols.push({ x, y: main });
      series.push({ lineId: line.id, role: "main", color: line.color, label: line.label });
      tooltip.push({ label: line.label, color: line.color, xs: x, ys: main });
      continue;
    }
    const members = line.members.map((m) => ({
      x: xValues(m.points, opts.xAxis, m.start),
      y: clip(m.points.values, opts.logScale).map((v) => (v === null ? NaN : v)),
    }));
    for (const m of members) for (const v of m.y) if (Number.isFinite(v)) points++;
    const agg = aggregateGroup(members, opts.bins);
    const sm = (v: number[]) => (smooth ? emaSmooth(v, opts.smoothing) : v);
    const hi = sm(agg.max);
    const lo = sm(agg.min);
    const mean = sm(agg.mean);
    cols.push({ x: agg.x, y: hi }, { x: agg.x, y: lo }, { x: agg.x, y: mean });
    series.push(
      { lineId: line.id, role: "max", color: line.color, label: line.label },
      { lineId: line.id, role: "min", color: line.color, label: line.label },
      { lineId: line.id, role: "main", color: line.color, label: line.label },
    );
    tooltip.push({ label: line.label, color: line.color, xs: agg.x, ys: mean, lo, hi });
  }
  const aligned = alignSeries(cols);
  return { x: aligned.x, ys: aligned.ys, series, tooltip, points, minStep, maxStep };
}

/** The step range covered by points whose x lies in [xmin, xmax] (for zooming on time axes). */
export function stepRangeForX(lines: readonly LineInput[], xAxis: XAxis, xmin: number, xmax: number): [number, number] | null {
  if (xAxis === "step") {
    const a = Math.floor(xmin);
    const b = Math.ceil(xmax);
    return b > a ? [a, b] : null;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const line of lines) {
    for (const m of line.members) {
      const xs = xValues(m.points, xAxis, m.start);
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i] as number;
        if (x < xmin || x > xmax) continue;
        const s = m.points.steps[i] as number;
        if (s < lo) lo = s;
        if (s > hi) hi = s;
      }
    }
  }
  return hi > lo ? [lo, hi] : null;
}
