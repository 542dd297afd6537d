/**
 * A left-to-right layered layout for the lineage graph (a small Sugiyama): edges that close a
 * cycle are turned around, nodes get the layer of their longest path from a source, edges that
 * skip layers pass through invisible waypoints, and each layer is ordered by the barycentre of
 * its neighbours (sweeping down and up, keeping the order with the fewest crossings).
 */

export interface LayoutEdgeInput {
  source: string;
  target: string;
}

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
  padding: number;
  sweeps: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 200, nodeHeight: 54, gapX: 90, gapY: 26, padding: 24, sweeps: 8 };

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  id: string;
  /** Top-left corner. */
  x: number;
  y: number;
  layer: number;
  order: number;
}

export interface PlacedEdge {
  /** Index of the edge in the input. */
  index: number;
  source: string;
  target: string;
  /** From the source's right side to the target's left side (or back, for turned edges). */
  points: Point[];
  /** The edge pointed against the flow (it closed a cycle). */
  reversed: boolean;
}

export interface Layout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
  layers: number;
}

/** Indices of edges whose direction closes a cycle (found by depth-first search from the nodes in order). */
export function cycleEdges(ids: readonly string[], edges: readonly LayoutEdgeInput[]): Set<number> {
  const out = new Map<string, number[]>();
  for (const id of ids) out.set(id, []);
  edges.forEach((e, i) => out.get(e.source)?.push(i));
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  const back = new Set<number>();
  for (const root of ids) {
    if (state.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [string, number];
      const [node, next] = top;
      const outgoing = out.get(node) ?? [];
      if (next >= outgoing.length) {
        state.set(node, 2);
        stack.pop();
        continue;
      }
      top[1] = next + 1;
      const index = outgoing[next] as number;
      const target = (edges[index] as LayoutEdgeInput).target;
      const s = state.get(target);
      if (s === 1) back.add(index);
      else if (s === undefined) {
        state.set(target, 1);
        stack.push([target, 0]);
      }
    }
  }
  return back;
}

/** The layer of each node: the length of the longest path reaching it (edges must form a DAG). */
export function longestPathLayers(ids: readonly string[], edges: readonly LayoutEdgeInput[]): Map<string, number> {
  const indegree = new Map<string, number>();
  const out = new Map<string, string[]>();
  for (const id of ids) {
    indegree.set(id, 0);
    out.set(id, []);
  }
  for (const e of edges) {
    if (!indegree.has(e.source) || !indegree.has(e.target)) continue;
    out.get(e.source)?.push(e.target);
    indegree.set(e.target, (indegree.get(e.target) ?? 0) + 1);
  }
  const layer = new Map<string, number>();
  const queue: string[] = [];
  for (const id of ids) {
    if (indegree.get(id) === 0) {
      queue.push(id);
      layer.set(id, 0);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as string;
    const l = layer.get(node) ?? 0;
    for (const next of out.get(node) ?? []) {
      layer.set(next, Math.max(layer.get(next) ?? 0, l + 1));
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  for (const id of ids) if (!layer.has(id)) layer.set(id, 0); // only if edges were not a DAG
  return layer;
}

/** Pairs of crossing edges between two adjacent layers (edges as [upper position, lower position]). */
export function countCrossings(pairs: readonly [number, number][]): number {
  const sorted = [...pairs].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // Count inversions of the lower positions with a Fenwick tree.
  const size = Math.max(0, ...sorted.map((p) => p[1])) + 2;
  const tree = new Array<number>(size + 1).fill(0);
  let crossings = 0;
  let seen = 0;
  for (const [, lower] of sorted) {
    let i = lower + 1;
    let notAbove = 0;
    while (i > 0) {
      notAbove += tree[i] as number;
      i -= i & -i;
    }
    crossings += seen - notAbove;
    seen++;
    for (let j = lower + 1; j <= size; j += j & -j) tree[j] = (tree[j] as number) + 1;
  }
  return crossings;
}

interface Segment {
  from: string;
  to: string;
}

/** Lay out the graph; node ids must be unique. Edges to unknown nodes and self-loops are left out. */
export function layoutGraph(
  nodeIds: readonly string[],
  inputEdges: readonly LayoutEdgeInput[],
  options: Partial<LayoutOptions> = {},
): Layout {
  const opt = { ...DEFAULT_LAYOUT, ...options };
  const ids = [...new Set(nodeIds)];
  const known = new Set(ids);
  const usable = inputEdges
    .map((e, index) => ({ ...e, index }))
    .filter((e) => known.has(e.source) && known.has(e.target) && e.source !== e.target);

  const turned = cycleEdges(ids, usable);
  const flow = usable.map((e, i) => (turned.has(i) ? { ...e, source: e.target, target: e.source, reversed: true } : { ...e, reversed: false }));
  const layerOf = longestPathLayers(ids, flow);

  // Split edges that skip layers into segments through waypoints ("dummy" nodes).
  const layerNodes: string[][] = [];
  const put = (id: string, layer: number) => {
    while (layerNodes.length <= layer) layerNodes.push([]);
    (layerNodes[layer] as string[]).push(id);
  };
  for (const id of ids) put(id, layerOf.get(id) ?? 0);
  const chains: string[][] = [];
  const segments: Segment[] = [];
  const seenPairs = new Set<string>();
  flow.forEach((e, i) => {
    const from = layerOf.get(e.source) ?? 0;
    const to = layerOf.get(e.target) ?? 0;
    const chain = [e.source];
    for (let l = from + 1; l < to; l++) {
      const dummy = `\u0000${i}:${l}`;
      layerOf.set(dummy, l);
      put(dummy, l);
      chain.push(dummy);
    }
    chain.push(e.target);
    chains.push(chain);
    for (let k = 0; k + 1 < chain.length; k++) {
      const key = `${chain[k]}\u0001${chain[k + 1]}`;
      if (seenPairs.has(key)) continue;
      seenPairs.add(key);
      segments.push({ from: chain[k] as string, to: chain[k + 1] as string });
    }
  });

  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const s of segments) {
    (preds.get(s.to) ?? preds.set(s.to, []).get(s.to))?.push(s.from);
    (succs.get(s.from) ?? succs.set(s.from, []).get(s.from))?.push(s.to);
  }

  const order = layerNodes.map((layer) => [...layer]);
  const position = new Map<string, number>();
  const index = () => order.forEach((layer) => layer.forEach((id, i) => position.set(id, i)));
  index();

  const crossings = () => {
    let total = 0;
    for (let l = 0; l + 1 < order.length; l++) {
      const pairs: [number, number][] = [];
      for (const id of order[l] as string[])
        for (const next of succs.get(id) ?? []) pairs.push([position.get(id) ?? 0, position.get(next) ?? 0]);
      total += countCrossings(pairs);
    }
    return total;
  };

  const reorder = (l: number, neighbours: Map<string, string[]>) => {
    const layer = order[l] as string[];
    const keyed = layer.map((id, i) => {
      const ns = neighbours.get(id) ?? [];
      const bary = ns.length ? ns.reduce((sum, n) => sum + (position.get(n) ?? 0), 0) / ns.length : i;
      return { id, bary, i };
    });
    keyed.sort((a, b) => a.bary - b.bary || a.i - b.i);
    order[l] = keyed.map((k) => k.id);
    order[l]?.forEach((id, i) => position.set(id, i));
  };

  let best = order.map((layer) => [...layer]);
  let bestCrossings = crossings();
  for (let sweep = 0; sweep < opt.sweeps && bestCrossings > 0; sweep++) {
    if (sweep % 2 === 0) for (let l = 1; l < order.length; l++) reorder(l, preds);
    else for (let l = order.length - 2; l >= 0; l--) reorder(l, succs);
    const c = crossings();
    if (c < bestCrossings) {
      bestCrossings = c;
      best = order.map((layer) => [...layer]);
    }
  }
  best.forEach((layer, l) => {
    order[l] = layer;
  });
  index();

  // Coordinates: layers left to right, each centred vertically on the tallest.
  const slot = opt.nodeHeight + opt.gapY;
  const tallest = Math.max(1, ...order.map((layer) => layer.length));
  const centre = new Map<string, Point>();
  const nodes: PlacedNode[] = [];
  order.forEach((layer, l) => {
    const offset = ((tallest - layer.length) * slot) / 2;
    layer.forEach((id, i) => {
      const x = opt.padding + l * (opt.nodeWidth + opt.gapX);
      const y = opt.padding + offset + i * slot;
      centre.set(id, { x: x + opt.nodeWidth / 2, y: y + opt.nodeHeight / 2 });
      if (known.has(id)) nodes.push({ id, x, y, layer: l, order: i });
    });
  });

  const half = opt.nodeWidth / 2;
  const edges: PlacedEdge[] = flow.map((e, i) => {
    const chain = chains[i] as string[];
    const points = chain.map((id, k) => {
      const c = centre.get(id) as Point;
      if (k === 0) return { x: c.x + half, y: c.y };
      if (k === chain.length - 1) return { x: c.x - half, y: c.y };
      return c;
    });
    return {
      index: e.index,
      source: e.reversed ? e.target : e.source,
      target: e.reversed ? e.source : e.target,
      points: e.reversed ? points.reverse() : points,
      reversed: e.reversed,
    };
  });

  return {
    nodes,
    edges,
    width: 2 * opt.padding + Math.max(1, order.length) * opt.nodeWidth + Math.max(0, order.length - 1) * opt.gapX,
    height: 2 * opt.padding + tallest * opt.nodeHeight + (tallest - 1) * opt.gapY,
    layers: order.length,
  };
}

/** An SVG path through the points: straight ends, smooth horizontal curves between them. */
export function edgePath(points: readonly Point[]): string {
  if (points.length === 0) return "";
  const first = points[0] as Point;
  let d = `M${first.x},${first.y}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as Point;
    const b = points[i] as Point;
    const mx = (a.x + b.x) / 2;
    d += ` C${mx},${a.y} ${mx},${b.y} ${b.x},${b.y}`;
  }
  return d;
}

/** Where an edge's label goes: the middle of its middle segment. */
export function labelPoint(points: readonly Point[]): Point {
  if (points.length === 0) return { x: 0, y: 0 };
  const k = Math.max(0, Math.floor((points.length - 1) / 2));
  const a = points[k] as Point;
  const b = (points[k + 1] ?? a) as Point;
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}
