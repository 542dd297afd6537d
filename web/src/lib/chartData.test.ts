import { describe, expect, it } from "vitest";
import { buildChart, stepRangeForX, type LineInput } from "./chartData";
import type { Points } from "./series";

const pts = (steps: number[], values: number[]): Points => ({ steps, times: steps.map((s) => 100 + s * 2), values });
const run = (id: string, p: Points): LineInput => ({ id, label: id, color: "#000000", members: [{ points: p, start: 100 }], group: false });

describe("buildChart", () => {
  it("aligns runs and counts points", () => {
    const c = buildChart([run("a", pts([0, 1, 2], [1, NaN, 3])), run("b", pts([1, 2], [5, 6]))], {
      xAxis: "step", smoothing: 0, logScale: false, bins: 100,
    });
    expect(c.x).toEqual([0, 1, 2]);
    expect(c.ys[0]).toEqual([1, null, 3]);
    expect(c.ys[1]).toEqual([undefined, 5, 6]);
    expect(c.points).toBe(4);
    expect(c.series.map((s) => s.role)).toEqual(["main", "main"]);
    expect([c.minStep, c.maxStep]).toEqual([0, 2]);
  });
  it("adds a faint raw series when smoothing", () => {
    const c = buildChart([run("a", pts([0, 1, 2], [1, 2, 3]))], { xAxis: "step", smoothing: 0.5, logScale: false, bins: 100 });
    expect(c.series.map((s) => s.role)).toEqual(["raw", "main"]);
    expect(c.ys[0]).toEqual([1, 2, 3]);
    expect(c.ys[1]?.[2]).not.toBe(3);
  });
  it("drops non-positive values on a log scale", () => {
    const c = buildChart([run("a", pts([0, 1], [0, 2]))], { xAxis: "step", smoothing: 0, logScale: true, bins: 10 });
    expect(c.ys[0]).toEqual([null, 2]);
  });
  it("uses times for the time axes", () => {
    const c = buildChart([run("a", pts([0, 5], [1, 2]))], { xAxis: "relative", smoothing: 0, logScale: false, bins: 10 });
    expect(c.x).toEqual([0, 10]);
  });
  it("draws a group as max, min and mean", () => {
    const g: LineInput = {
      id: "g", label: "g", color: "#ff0000", group: true,
      members: [{ points: pts([0, 1], [1, 1]), start: 100 }, { points: pts([0, 1], [3, 3]), start: 100 }],
    };
    const c = buildChart([g], { xAxis: "step", smoothing: 0, logScale: false, bins: 2 });
    expect(c.series.map((s) => s.role)).toEqual(["max", "min", "main"]);
    expect(c.ys[2]).toEqual([2, 2]);
    expect(c.ys[0]).toEqual([3, 3]);
    expect(c.points).toBe(4);
  });
});

describe("stepRangeForX", () => {
  const lines = [run("a", pts([0, 10, 20, 30], [1, 2, 3, 4]))];
  it("uses x directly on the step axis", () => {
    expect(stepRangeForX(lines, "step", 3.2, 17.8)).toEqual([3, 18]);
  });
  it("maps time ranges to steps", () => {
    // times are 100 + 2*step
    expect(stepRangeForX(lines, "time", 115, 165)).toEqual([10, 30]);
    expect(stepRangeForX(lines, "relative", 15, 45)).toEqual([10, 20]);
    expect(stepRangeForX(lines, "relative", 1000, 2000)).toBeNull();
  });
});
