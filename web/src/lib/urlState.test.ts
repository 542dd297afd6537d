import { describe, expect, it } from "vitest";
import {
  DEFAULT_CHART_STATE, DEFAULT_WORKSPACE, SYSTEM_X_MODES, decodeChartState, decodeList, encodeChartState, decodeWorkspace, encodeList, encodeWorkspace, formatOrder, parseOrder, toggleCollapsed,
  type WorkspaceState,
} from "./urlState";

describe("list encoding", () => {
  it("round-trips items with commas and backslashes", () => {
    const items = ["a", "b,c", "d\\e", "summary.train/loss", "config.`x,y`"];
    expect(decodeList(encodeList(items))).toEqual(items);
  });
  it("decodes empty input", () => {
    expect(decodeList(null)).toEqual([]);
    expect(decodeList("")).toEqual([]);
  });
});

describe("collapsed sections", () => {
  it("collapses an open section and opens a collapsed one, keeping the others", () => {
    expect(toggleCollapsed(["train"], "val")).toEqual(["train", "val"]);
    expect(toggleCollapsed(["train", "val"], "train")).toEqual(["val"]);
  });
});

describe("workspace state", () => {
  it("leaves defaults out of the URL", () => {
    expect(encodeWorkspace(DEFAULT_WORKSPACE)).toBe("");
    expect(decodeWorkspace("")).toEqual(DEFAULT_WORKSPACE);
  });
  it("round-trips a full state", () => {
    const s: WorkspaceState = {
      filter: 'config.lr < 1e-3 and summary.`train/acc` > 0.9 & x="a b"',
      order: "-summary.train/loss,name",
      group: "config.model.layers",
      top: 25,
      hidden: ["r1", "r2"],
      shown: ["r9"],
      selected: ["r1", "r3"],
      columns: ["config.lr", "summary.train/loss", "config.`a,b`"],
      zoom: [100, 2500],
      smoothing: 0.6,
      xAxis: "relative",
      logScale: true,
      panelSearch: "loss|acc",
      collapsed: ["system", "val"],
    };
    const qs = encodeWorkspace(s);
    expect(decodeWorkspace(qs)).toEqual(s);
    expect(decodeWorkspace("?" + qs)).toEqual(s);
  });
  it("keeps unrelated parameters", () => {
    const qs = encodeWorkspace({ ...DEFAULT_WORKSPACE, filter: "x = 1" }, "theme=dark&filter=old");
    const p = new URLSearchParams(qs);
    expect(p.get("theme")).toBe("dark");
    expect(p.get("filter")).toBe("x = 1");
  });
  it("rejects nonsense values", () => {
    const s = decodeWorkspace("smooth=5&x=banana&zoom=9:3&top=-4&log=yes");
    expect(s.smoothing).toBe(0.99);
    expect(s.xAxis).toBe("step");
    expect(s.zoom).toBeNull();
    expect(s.top).toBe(0);
    expect(s.logScale).toBe(false);
    expect(decodeWorkspace("smooth=abc").smoothing).toBe(0);
  });
});

describe("order", () => {
  it("parses and formats", () => {
    const o = parseOrder("-summary.`a,b`, name");
    expect(o).toEqual([{ field: "summary.`a,b`", desc: true }, { field: "name", desc: false }]);
    expect(formatOrder(o)).toBe("-summary.`a,b`,name");
    expect(parseOrder("")).toEqual([]);
  });
});

describe("chart x modes", () => {
  it("accepts elapsed only where offered, with its own default", () => {
    expect(decodeChartState(new URLSearchParams("x=elapsed")).xAxis).toBe("step");
    expect(decodeChartState(new URLSearchParams(""), "elapsed", SYSTEM_X_MODES).xAxis).toBe("elapsed");
    expect(decodeChartState(new URLSearchParams("x=step"), "elapsed", SYSTEM_X_MODES).xAxis).toBe("step");
    const p = new URLSearchParams();
    encodeChartState({ ...DEFAULT_CHART_STATE, xAxis: "elapsed" }, p, "elapsed");
    expect(p.toString()).toBe("");
    encodeChartState({ ...DEFAULT_CHART_STATE, xAxis: "step" }, p, "elapsed");
    expect(p.toString()).toBe("x=step");
  });
});
