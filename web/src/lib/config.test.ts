import { describe, expect, it } from "vitest";
import { compareKeys, diffConfigs, flattenConfig, getPath, jsonEqual } from "./config";

describe("flattenConfig", () => {
  it("joins nested keys with dots", () => {
    expect(flattenConfig({ lr: 0.1, model: { layers: 4, act: { name: "relu" } } })).toEqual({
      lr: 0.1,
      "model.layers": 4,
      "model.act.name": "relu",
    });
  });
  it("keeps arrays, nulls and empty objects as leaves", () => {
    expect(flattenConfig({ a: [1, 2], b: null, c: {} })).toEqual({ a: [1, 2], b: null, c: {} });
  });
  it("returns nothing for non-objects", () => {
    expect(flattenConfig(null)).toEqual({});
    expect(flattenConfig(3)).toEqual({});
  });
});

describe("getPath", () => {
  const cfg = { lr: 1, model: { layers: 4 }, "a.b": 5 };
  it("walks dotted paths", () => {
    expect(getPath(cfg, "model.layers")).toBe(4);
    expect(getPath(cfg, "lr")).toBe(1);
    expect(getPath(cfg, "a.b")).toBe(5);
    expect(getPath(cfg, "model.width")).toBeUndefined();
    expect(getPath(null, "x")).toBeUndefined();
  });
});

describe("jsonEqual", () => {
  it("compares deeply and ignores key order", () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual([1], [1, 2])).toBe(false);
    expect(jsonEqual(null, 0)).toBe(false);
    expect(jsonEqual(1, "1")).toBe(false);
  });
});

describe("diffConfigs", () => {
  it("marks differing keys, including missing ones", () => {
    const rows = diffConfigs([
      { lr: 0.1, bs: 32, model: { layers: 2 } },
      { lr: 0.01, bs: 32, model: { layers: 2 }, extra: true },
    ]);
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey["lr"]?.differs).toBe(true);
    expect(byKey["bs"]?.differs).toBe(false);
    expect(byKey["model.layers"]?.differs).toBe(false);
    expect(byKey["extra"]?.differs).toBe(true);
    expect(byKey["extra"]?.values).toEqual([undefined, true]);
  });
  it("sorts keys naturally", () => {
    const rows = diffConfigs([{ l10: 1, l2: 1, a: 1 }]);
    expect(rows.map((r) => r.key)).toEqual(["a", "l2", "l10"]);
    expect(compareKeys("B", "a")).toBeGreaterThan(0);
  });
});
