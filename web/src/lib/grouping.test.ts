import { describe, expect, it } from "vitest";
import { groupRuns, groupValue, toggleVisibility, visibleRunIds, type RunLike } from "./grouping";

const run = (id: string, config: Record<string, unknown>, extra: Partial<RunLike> = {}): RunLike => ({
  id, state: "finished", group: null, job_type: null, host: null, config, ...extra,
});

describe("groupRuns", () => {
  const runs = [
    run("a", { lr: 0.1, model: { layers: 2 } }),
    run("b", { lr: 0.01, model: { layers: 2 } }),
    run("c", { lr: 0.1 }),
    run("d", {}, { group: "sweep-1" }),
  ];
  it("groups by a config path in order of appearance", () => {
    const g = groupRuns(runs, "config.lr");
    expect(g.map((x) => x.label)).toEqual(["0.1", "0.01", "(none)"]);
    expect(g[0]?.runs.map((r) => r.id)).toEqual(["a", "c"]);
  });
  it("groups by nested config and by fields", () => {
    expect(groupRuns(runs, "config.model.layers").map((x) => x.runs.length)).toEqual([2, 2]);
    const byGroup = groupRuns(runs, "group");
    expect(byGroup.map((x) => x.label)).toEqual(["(none)", "sweep-1"]);
  });
  it("gives distinct ids to values that print alike", () => {
    const g = groupRuns([run("a", { x: 1 }), run("b", { x: "1" })], "config.x");
    expect(g.length).toBe(2);
    expect(new Set(g.map((x) => x.id)).size).toBe(2);
  });
  it("reads unknown fields as missing", () => {
    expect(groupValue(run("a", {}), "nope")).toBeUndefined();
  });
});

describe("visibleRunIds", () => {
  const ordered = ["r1", "r2", "r3", "r4", "r5"];
  it("shows the first N plus shown minus hidden", () => {
    expect(visibleRunIds({ ordered, top: 2, shown: ["r5"], hidden: ["r1"], grouped: false, max: 100 })).toEqual(["r2", "r5"]);
  });
  it("shows every run when grouped, capped", () => {
    expect(visibleRunIds({ ordered, top: 2, shown: [], hidden: ["r3"], grouped: true, max: 3 })).toEqual(["r1", "r2", "r4"]);
  });
  it("keeps shown runs that are not loaded", () => {
    expect(visibleRunIds({ ordered: [], top: 10, shown: ["x"], hidden: [], grouped: false, max: 10 })).toEqual(["x"]);
  });
});

describe("toggleVisibility", () => {
  it("hides a default run and shows it again", () => {
    const hidden = toggleVisibility("r1", true, true, [], []);
    expect(hidden).toEqual({ shown: [], hidden: ["r1"] });
    expect(toggleVisibility("r1", true, false, hidden.shown, hidden.hidden)).toEqual({ shown: [], hidden: [] });
  });
  it("shows an extra run and hides it again", () => {
    const shown = toggleVisibility("r9", false, false, [], []);
    expect(shown).toEqual({ shown: ["r9"], hidden: [] });
    expect(toggleVisibility("r9", false, true, shown.shown, shown.hidden)).toEqual({ shown: [], hidden: [] });
  });
});
