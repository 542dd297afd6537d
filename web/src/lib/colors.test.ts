import { describe, expect, it } from "vitest";
import { PALETTE, colorFor, hashString, withAlpha } from "./colors";

describe("colorFor", () => {
  it("is stable for an id", () => {
    expect(colorFor("abc123")).toBe(colorFor("abc123"));
  });
  it("always picks from the palette", () => {
    for (const id of ["a", "b", "on86kt7u", "", "x".repeat(100)]) expect(PALETTE).toContain(colorFor(id));
  });
  it("spreads ids over the palette", () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => colorFor(`run${i}`)));
    expect(used.size).toBeGreaterThan(PALETTE.length * 0.8);
  });
  it("hashes to unsigned 32-bit ints", () => {
    const h = hashString("hello");
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(2 ** 32);
    expect(hashString("hello")).not.toBe(hashString("hellp"));
  });
});

describe("withAlpha", () => {
  it("converts hex to rgba", () => {
    expect(withAlpha("#ff0000", 0.5)).toBe("rgba(255, 0, 0, 0.5)");
    expect(withAlpha("#4e79a7", 2)).toBe("rgba(78, 121, 167, 1)");
  });
  it("leaves other colours alone", () => {
    expect(withAlpha("red", 0.3)).toBe("red");
  });
});
