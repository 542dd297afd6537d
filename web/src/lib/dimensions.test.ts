import { describe, expect, it } from "vitest";
import { buildDim, positionOf } from "./dimensions";

describe("buildDim", () => {
  it("builds numeric axes, log when the range is wide", () => {
    const d = buildDim("lr", "lr", [1e-4, 1e-3, 1e-2, undefined]);
    expect(d.kind).toBe("num");
    expect(d.log).toBe(true);
    expect(d.values[3]).toBeNull();
    expect(positionOf(d, 1e-3, 0, 100)).toBeCloseTo(50);
  });
  it("builds categorical axes for strings and mixed values", () => {
    const d = buildDim("opt", "opt", ["sgd", "adam", 3, true]);
    expect(d.kind).toBe("cat");
    expect(d.categories).toEqual(["3", "adam", "sgd", "true"]);
    expect(positionOf(d, "adam", 0, 30)).toBe(10);
    expect(positionOf(d, "nope", 0, 30)).toBeNull();
  });
  it("treats NaN strings as missing", () => {
    const d = buildDim("m", "m", [1, "NaN", 2]);
    expect(d.kind).toBe("num");
    expect(d.values).toEqual([1, null, 2]);
    expect(positionOf(d, null, 0, 1)).toBeNull();
  });
  it("centers a single category", () => {
    const d = buildDim("x", "x", ["a", "a"]);
    expect(positionOf(d, "a", 0, 10)).toBe(5);
  });
});
