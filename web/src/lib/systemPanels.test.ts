import { describe, expect, it } from "vitest";
import { groupSystemKeys, parseSystemKey } from "./systemPanels";

describe("parseSystemKey", () => {
  it("splits GPU index and rank off the measurement", () => {
    expect(parseSystemKey("system/gpu.3.mem.util")).toEqual({ measurement: "gpu.mem.util", gpu: 3, rank: null });
    expect(parseSystemKey("system/proc.cpu.util@rank2")).toEqual({ measurement: "proc.cpu.util", gpu: null, rank: 2 });
    expect(parseSystemKey("system/gpu.0.util@rank8")).toEqual({ measurement: "gpu.util", gpu: 0, rank: 8 });
    expect(parseSystemKey("train/loss")).toBeNull();
  });
});

describe("groupSystemKeys", () => {
  const keys = [
    "system/net.sent_mib_s",
    "system/gpu.1.util",
    "system/gpu.0.util",
    "system/gpu.0.temp_c",
    "system/proc.cpu.util",
    "system/proc.cpu.util@rank1",
    "system/cpu.util",
    "system/mem.used_mib",
    "system/disk.util",
    "system/custom",
    "train/loss",
  ];
  it("puts panels in sections in a fixed order", () => {
    const s = groupSystemKeys(keys);
    expect(s.map((x) => x.id)).toEqual(["cpu", "memory", "gpu", "disk", "network", "other"]);
    expect(s[0]?.panels.map((p) => p.id)).toEqual(["system/cpu.util", "system/proc.cpu.util"]);
    expect(s[2]?.panels.map((p) => p.title)).toEqual(["GPU utilisation", "GPU temperature"]);
  });
  it("draws one line per GPU and per rank in a panel", () => {
    const s = groupSystemKeys(keys);
    const gpu = s[2]?.panels[0];
    expect(gpu?.series.map((x) => [x.key, x.label])).toEqual([
      ["system/gpu.0.util", "GPU 0"],
      ["system/gpu.1.util", "GPU 1"],
    ]);
    const proc = s[0]?.panels[1];
    expect(proc?.series.map((x) => x.label)).toEqual(["rank 0", "rank 1"]);
    expect(s[0]?.panels[0]?.series[0]?.label).toBe("");
  });
  it("filters by key or title", () => {
    expect(groupSystemKeys(keys, /temperature/i).flatMap((x) => x.panels.map((p) => p.id))).toEqual(["system/gpu.temp_c"]);
    expect(groupSystemKeys(keys, /net\./).flatMap((x) => x.panels.map((p) => p.id))).toEqual(["system/net.sent_mib_s"]);
  });
});
