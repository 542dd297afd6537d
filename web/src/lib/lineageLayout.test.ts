import { describe, expect, it } from "vitest";
import { countCrossings, cycleEdges, edgePath, labelPoint, layoutGraph, longestPathLayers } from "./lineageLayout";

const e = (source: string, target: string) => ({ source, target });

describe("layers", () => {
  it("puts each node after the longest path reaching it", () => {
    const layers = longestPathLayers(["a", "b", "c", "d"], [e("a", "b"), e("b", "c"), e("a", "c"), e("d", "c")]);
    expect(Object.fromEntries(layers)).toEqual({ a: 0, b: 1, c: 2, d: 0 });
  });

  it("finds the edges that close cycles", () => {
    const edges = [e("run", "art"), e("art", "run"), e("art", "model")];
    expect([...cycleEdges(["run", "art", "model"], edges)]).toEqual([1]);
    expect([...cycleEdges(["a", "b"], [e("a", "b")])]).toEqual([]);
  });

  it("counts crossings between two layers", () => {
    expect(countCrossings([])).toBe(0);
    expect(countCrossings([[0, 0], [1, 1]])).toBe(0);
    expect(countCrossings([[0, 1], [1, 0]])).toBe(1);
    expect(countCrossings([[0, 2], [1, 1], [2, 0]])).toBe(3);
    expect(countCrossings([[0, 0], [0, 1], [1, 0]])).toBe(1);
  });
});

describe("layoutGraph", () => {
  it("lays the lineage chain out left to right", () => {
    const layout = layoutGraph(
      ["model:m:v1", "run:train", "artifact:p/data:v0", "run:prep"],
      [e("run:prep", "artifact:p/data:v0"), e("artifact:p/data:v0", "run:train"), e("run:train", "model:m:v1")],
      { nodeWidth: 100, nodeHeight: 40, gapX: 50, gapY: 10, padding: 10 },
    );
    const byId = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect([byId["run:prep"]?.layer, byId["artifact:p/data:v0"]?.layer, byId["run:train"]?.layer, byId["model:m:v1"]?.layer]).toEqual([0, 1, 2, 3]);
    expect(byId["run:train"]?.x).toBe(10 + 2 * 150);
    expect(layout.width).toBe(2 * 10 + 4 * 100 + 3 * 50);
    expect(layout.height).toBe(2 * 10 + 40);
    const first = layout.edges.find((x) => x.source === "run:prep");
    expect(first?.points).toEqual([
      { x: 110, y: 30 },
      { x: 160, y: 30 },
    ]);
  });

  it("orders layers to remove crossings", () => {
    // a→d, b→c drawn in input order would cross; the barycentre sweep uncrosses them.
    const layout = layoutGraph(["a", "b", "c", "d"], [e("a", "d"), e("b", "c")]);
    const pos = Object.fromEntries(layout.nodes.map((n) => [n.id, n.order]));
    expect(Math.sign((pos.a as number) - (pos.b as number))).toBe(Math.sign((pos.d as number) - (pos.c as number)));
  });

  it("routes long edges through waypoints and keeps every node", () => {
    const layout = layoutGraph(["a", "b", "c"], [e("a", "b"), e("b", "c"), e("a", "c")]);
    expect(layout.nodes).toHaveLength(3);
    const long = layout.edges.find((x) => x.source === "a" && x.target === "c");
    expect(long?.points).toHaveLength(3);
    const short = layout.edges.find((x) => x.source === "a" && x.target === "b");
    expect(short?.points).toHaveLength(2);
  });

  it("survives cycles, self-loops, unknown nodes and an empty graph", () => {
    const layout = layoutGraph(["r", "a"], [e("r", "a"), e("a", "r"), e("r", "r"), e("r", "ghost")]);
    expect(layout.nodes).toHaveLength(2);
    expect(layout.edges).toHaveLength(2);
    const back = layout.edges.find((x) => x.reversed);
    expect(back).toMatchObject({ source: "a", target: "r", index: 1 });
    const empty = layoutGraph([], []);
    expect(empty.nodes).toEqual([]);
    expect(empty.width).toBeGreaterThan(0);
  });

  it("draws paths and places labels", () => {
    expect(edgePath([{ x: 0, y: 0 }, { x: 10, y: 20 }])).toBe("M0,0 C5,0 5,20 10,20");
    expect(edgePath([])).toBe("");
    expect(labelPoint([{ x: 0, y: 0 }, { x: 10, y: 20 }])).toEqual({ x: 5, y: 10 });
  });
});
