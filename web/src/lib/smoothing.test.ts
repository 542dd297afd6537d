import { describe, expect, it } from "vitest";
import { emaSmooth } from "./smoothing";

describe("emaSmooth", () => {
  it("returns a copy when the weight is 0", () => {
    const v = [1, 2, 3];
    const out = emaSmooth(v, 0);
    expect(out).toEqual([1, 2, 3]);
    expect(out).not.toBe(v);
  });
  it("is debiased: the first value is kept as is", () => {
    const out = emaSmooth([10, 10, 10], 0.9);
    for (const x of out) expect(x).toBeCloseTo(10, 10);
  });
  it("matches TensorBoard's formula", () => {
    const w = 0.6;
    const out = emaSmooth([1, 3], w);
    // last1 = 0.4; debiased 0.4 / 0.4 = 1; last2 = 0.24 + 1.2 = 1.44; /(1-0.36)=2.25
    expect(out[0]).toBeCloseTo(1, 10);
    expect(out[1]).toBeCloseTo(2.25, 10);
  });
  it("keeps NaN and null as gaps without disturbing the average", () => {
    const out = emaSmooth([2, NaN, null, 2], 0.5);
    expect(out[0]).toBeCloseTo(2);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeNull();
    expect(out[3]).toBeCloseTo(2);
  });
  it("smooths noise towards the mean", () => {
    const noisy = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const out = emaSmooth(noisy, 0.95);
    const tail = out.slice(100) as number[];
    expect(Math.max(...tail.map(Math.abs))).toBeLessThan(0.1);
  });
  it("clamps the weight below 1", () => {
    const out = emaSmooth([1, 2, 3], 5);
    expect(out.every((x) => x !== null && Number.isFinite(x))).toBe(true);
  });
});
