import { describe, expect, it } from "vitest";
import { extent, linearScale, logScale, niceTicks, prefersLog } from "./scales";

describe("scales", () => {
  it("maps linearly, including inverted ranges", () => {
    const s = linearScale([0, 10], [100, 0]);
    expect(s(0)).toBe(100);
    expect(s(5)).toBe(50);
    expect(s(10)).toBe(0);
  });
  it("maps logarithmically", () => {
    const s = logScale([1, 100], [0, 2]);
    expect(s(10)).toBeCloseTo(1);
    expect(s(-1)).toBe(0);
  });
  it("picks round ticks", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(NaN, 1)).toEqual([]);
    const t = niceTicks(0.00013, 0.0021, 4);
    expect(t.length).toBeGreaterThan(2);
    expect(t.every((v) => v >= 0.00013 && v <= 0.0021)).toBe(true);
  });
  it("computes a padded extent", () => {
    expect(extent([1, 3, null, NaN, undefined])).toEqual([1, 3]);
    expect(extent([0, 10], 0.1)).toEqual([-1, 11]);
    expect(extent([5])).toEqual([4.5, 5.5]);
    expect(extent([])).toBeNull();
  });
  it("prefers log for wide positive ranges", () => {
    expect(prefersLog([1e-4, 1e-3, 1e-2])).toBe(true);
    expect(prefersLog([1, 2, 3])).toBe(false);
    expect(prefersLog([0, 1000])).toBe(false);
  });
});
