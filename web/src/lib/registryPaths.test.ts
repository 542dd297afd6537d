import { describe, expect, it } from "vitest";
import {
  artifactNodeId,
  artifactPath,
  artifactsPath,
  lineagePath,
  modelNodeId,
  modelPath,
  nodePagePath,
  parseLineageView,
  parseNodeId,
  versionNumber,
} from "./registryPaths";

describe("paths", () => {
  it("encodes names and keeps the view in the query", () => {
    expect(artifactsPath("my proj")).toBe("/projects/my%20proj/artifacts");
    expect(artifactsPath("p", { type: "dataset", q: "img" })).toBe("/projects/p/artifacts?type=dataset&q=img");
    expect(artifactPath("p", "data.v2", { version: 3, file: "a/b c.txt" })).toBe("/projects/p/artifacts/data.v2?v=3&file=a%2Fb+c.txt");
    expect(artifactPath("p", "d", { version: 0 })).toBe("/projects/p/artifacts/d?v=0");
    expect(modelPath("fraud")).toBe("/models/fraud");
    expect(modelPath("fraud", { version: 2 })).toBe("/models/fraud?v=2");
  });

  it("round-trips the lineage view", () => {
    const path = lineagePath("p", { node: "artifact:p/data:v1", direction: "upstream", hops: 3 });
    expect(path).toBe("/projects/p/lineage?node=artifact%3Ap%2Fdata%3Av1&direction=upstream&hops=3");
    expect(parseLineageView(path.slice(path.indexOf("?")))).toEqual({ node: "artifact:p/data:v1", direction: "upstream", hops: 3 });
    expect(lineagePath(null, { node: "model:m:v1", direction: "both", hops: 2 })).toBe("/lineage?node=model%3Am%3Av1");
    expect(parseLineageView("?hops=99&direction=sideways")).toEqual({ node: "", direction: "both", hops: 2 });
  });
});

describe("lineage nodes", () => {
  it("builds and parses node ids", () => {
    expect(artifactNodeId("p", "data", 2)).toBe("artifact:p/data:v2");
    expect(modelNodeId("m", 1)).toBe("model:m:v1");
    expect(parseNodeId("run:abc")).toEqual({ kind: "run", runId: "abc" });
    expect(parseNodeId("artifact:p/data:v2")).toEqual({ kind: "artifact", project: "p", name: "data", version: "v2" });
    expect(parseNodeId("model:m@champion")).toEqual({ kind: "model", name: "m", version: "@champion" });
    expect(parseNodeId("model:m:v3")).toEqual({ kind: "model", name: "m", version: "v3" });
    expect(parseNodeId("artifact:nodash")).toBeNull();
    expect(parseNodeId("thing:x")).toBeNull();
    expect(parseNodeId("run:")).toBeNull();
    expect(versionNumber("v12")).toBe(12);
    expect(versionNumber("4")).toBe(4);
    expect(versionNumber("latest")).toBeNull();
  });

  it("links nodes to their pages", () => {
    expect(nodePagePath({ id: "run:r1", kind: "run", project: "p" })).toBe("/projects/p/runs/r1");
    expect(nodePagePath({ id: "run:r1", kind: "run", project: null })).toBeNull();
    expect(nodePagePath({ id: "artifact:p/d:v1", kind: "artifact", project: "p", artifact: "d", version: 1 })).toBe("/projects/p/artifacts/d?v=1");
    expect(nodePagePath({ id: "model:m:v2", kind: "model", model: "m", version: 2 })).toBe("/models/m?v=2");
    expect(nodePagePath({ id: "artifact:p/d:v4", kind: "artifact" })).toBe("/projects/p/artifacts/d?v=4");
  });
});
