import { describe, expect, it } from "vitest";
import { groupPanels, prefixOf } from "./panels";
import { compileSearch } from "./regex";

describe("groupPanels", () => {
  const keys = ["system/gpu", "lr", "val/loss", "train/loss", "train/acc", "custom/x", "epoch", "val/acc"];
  it("orders train, val, others, unprefixed, system", () => {
    const s = groupPanels(keys);
    expect(s.map((x) => x.prefix)).toEqual(["train", "val", "custom", "", "system"]);
    expect(s[0]?.keys).toEqual(["train/acc", "train/loss"]);
    expect(s[3]?.keys).toEqual(["epoch", "lr"]);
  });
  it("filters by regex", () => {
    const s = groupPanels(keys, /loss/i);
    expect(s.flatMap((x) => x.keys)).toEqual(["train/loss", "val/loss"]);
  });
  it("finds the prefix", () => {
    expect(prefixOf("a/b/c")).toBe("a");
    expect(prefixOf("/x")).toBe("");
    expect(prefixOf("abc")).toBe("");
  });
});

describe("compileSearch", () => {
  it("is case-insensitive", () => {
    expect(compileSearch("LOSS").re?.test("train/loss")).toBe(true);
  });
  it("reports invalid regexes", () => {
    const r = compileSearch("loss(");
    expect(r.re).toBeNull();
    expect(r.error).toMatch(/Not a valid regular expression/);
  });
  it("treats blank as no filter", () => {
    expect(compileSearch("  ")).toEqual({ re: null, error: null });
  });
});
