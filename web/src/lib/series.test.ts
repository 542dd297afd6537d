import { describe, expect, it } from "vitest";
import {
  aggregateGroup, alignSeries, countFinite, downsampleMinMax, lastStep, mergePoints, nearestIndex, parsePoints,
  xValues, type Points,
} from "./series";

const pts = (steps: number[], values: number[]): Points => ({ steps, times: steps.map((s) => 1000 + s), values });

describe("parsePoints", () => {
  it("maps special strings", () => {
    const p = parsePoints({ steps: [0, 1, 2, 3], times: [1, 2, 3, 4], values: [1.5, "NaN", "Infinity", "-Infinity"] });
    expect(p.values[0]).toBe(1.5);
    expect(p.values[1]).toBeNaN();
    expect(p.values[2]).toBe(Infinity);
    expect(p.values[3]).toBe(-Infinity);
    expect(lastStep(p)).toBe(3);
    expect(lastStep(pts([], []))).toBeNull();
  });
});

describe("mergePoints", () => {
  it("appends newer points", () => {
    const m = mergePoints(pts([0, 1], [1, 2]), pts([2, 3], [3, 4]));
    expect(m.steps).toEqual([0, 1, 2, 3]);
    expect(m.values).toEqual([1, 2, 3, 4]);
  });
  it("lets the new points win on overlap and keeps order", () => {
    const m = mergePoints(pts([0, 2, 4, 6], [0, 2, 4, 6]), pts([3, 4, 5], [30, 40, 50]));
    expect(m.steps).toEqual([0, 2, 3, 4, 5, 6]);
    expect(m.values).toEqual([0, 2, 30, 40, 50, 6]);
    expect(m.times).toEqual([1000, 1002, 1003, 1004, 1005, 1006]);
  });
  it("handles empty sides", () => {
    const a = pts([1], [1]);
    expect(mergePoints(a, pts([], []))).toBe(a);
    expect(mergePoints(pts([], []), a)).toBe(a);
  });
});

describe("downsampleMinMax", () => {
  it("leaves short series alone", () => {
    const p = pts([0, 1, 2], [1, 2, 3]);
    expect(downsampleMinMax(p, 10)).toBe(p);
  });
  it("keeps min and max of each bucket, in step order", () => {
    const steps = Array.from({ length: 100 }, (_, i) => i);
    const values = steps.map((s) => (s === 37 ? 100 : s === 62 ? -100 : Math.sin(s)));
    const d = downsampleMinMax(pts(steps, values), 10);
    expect(d.steps.length).toBeLessThanOrEqual(20);
    expect(d.values).toContain(100);
    expect(d.values).toContain(-100);
    expect([...d.steps].sort((a, b) => a - b)).toEqual(d.steps);
  });
  it("keeps a NaN so the gap survives", () => {
    const steps = Array.from({ length: 100 }, (_, i) => i);
    const values = steps.map((s) => (s === 50 ? NaN : 1));
    const d = downsampleMinMax(pts(steps, values), 10);
    expect(d.values.some((v) => Number.isNaN(v))).toBe(true);
  });
});

describe("xValues", () => {
  it("gives steps, times or relative times", () => {
    const p = pts([0, 10], [1, 2]);
    expect(xValues(p, "step", 0)).toEqual([0, 10]);
    expect(xValues(p, "time", 0)).toEqual([1000, 1010]);
    expect(xValues(p, "relative", 1000)).toEqual([0, 10]);
  });
});

describe("alignSeries", () => {
  it("unions x and marks missing as undefined and NaN as null", () => {
    const a = alignSeries([
      { x: [0, 1, 2], y: [1, NaN, 3] },
      { x: [1, 3], y: [10, 30] },
    ]);
    expect(a.x).toEqual([0, 1, 2, 3]);
    expect(a.ys[0]).toEqual([1, null, 3, undefined]);
    expect(a.ys[1]).toEqual([undefined, 10, undefined, 30]);
    expect(a.quantized).toBe(false);
  });
  it("snaps x to a grid when too large", () => {
    const many = Array.from({ length: 50 }, (_, r) => ({
      x: Array.from({ length: 500 }, (_, i) => i * 10 + r * 0.01),
      y: Array.from({ length: 500 }, (_, i) => i),
    }));
    const a = alignSeries(many, 50_000);
    expect(a.quantized).toBe(true);
    expect(a.x.length * many.length).toBeLessThanOrEqual(50_000 + many.length * 1000);
    expect(countFinite(a.ys[0] ?? [])).toBeGreaterThan(400);
  });
  it("handles no data", () => {
    expect(alignSeries([{ x: [], y: [] }])).toEqual({ x: [], ys: [[]], quantized: false });
  });
});

describe("aggregateGroup", () => {
  it("computes mean, min and max per bin", () => {
    const g = aggregateGroup(
      [
        { x: [0, 1, 2, 3], y: [1, 1, 1, 1] },
        { x: [0, 1, 2, 3], y: [3, 3, 3, 3] },
      ],
      4,
    );
    expect(g.mean).toEqual([2, 2, 2, 2]);
    expect(g.min).toEqual([1, 1, 1, 1]);
    expect(g.max).toEqual([3, 3, 3, 3]);
    expect(g.x).toEqual([0, 1, 2, 3]);
  });
  it("ignores non-finite values and drops empty bins", () => {
    const g = aggregateGroup([{ x: [0, 10], y: [NaN, 5] }, { x: [0, 10], y: [2, 7] }], 10);
    expect(g.mean[0]).toBe(2);
    expect(g.mean[g.mean.length - 1]).toBe(6);
    expect(g.x.length).toBe(2);
  });
  it("returns nothing for empty input", () => {
    expect(aggregateGroup([], 10).x).toEqual([]);
  });
});

describe("nearestIndex", () => {
  it("finds the nearest", () => {
    const xs = [0, 10, 20, 30];
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 16)).toBe(2);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex([], 1)).toBe(-1);
  });
});
