import { describe, expect, it } from "vitest";
import { describeEvent, eventTarget } from "./modelEvents";

const ev = (kind: string, version: number | null, data: Record<string, unknown>) => ({ kind, version, data });

describe("describeEvent", () => {
  it("says what happened", () => {
    expect(describeEvent(ev("model_created", null, {}))).toBe("created the model");
    expect(describeEvent(ev("version_created", 3, { source: "runs/r1/model" }))).toBe("registered v3 from runs/r1/model");
    expect(describeEvent(ev("alias_moved", 2, { alias: "champion", from: null, to: 2 }))).toBe("pointed alias champion at v2");
    expect(describeEvent(ev("alias_moved", 2, { alias: "champion", from: 1, to: 2 }))).toBe("moved alias champion from v1 to v2");
    expect(describeEvent(ev("alias_deleted", 1, { alias: "old", from: 1 }))).toBe("removed alias old (it named v1)");
    expect(describeEvent(ev("version_updated", 1, { description: "x" }))).toBe("changed v1 (description)");
    expect(describeEvent(ev("something_new", 4, {}))).toBe("something new v4");
  });

  it("explains stage changes, including archiving", () => {
    expect(describeEvent(ev("stage_changed", 2, { from: "Staging", to: "Production" }))).toBe("moved v2 from Staging to Production");
    expect(describeEvent(ev("stage_changed", 1, { from: "Production", to: "Archived", because: "v2" }))).toBe(
      "moved v1 from Production to Archived, because v2 went to Production",
    );
    expect(eventTarget(ev("stage_changed", 1, { to: "Archived" }))).toBe("Archived");
    expect(eventTarget(ev("alias_moved", 1, {}))).toBeUndefined();
  });

  it("copes with missing data", () => {
    expect(describeEvent({ kind: "stage_changed", version: 1, data: null })).toBe("changed the stage of v1");
  });
});
