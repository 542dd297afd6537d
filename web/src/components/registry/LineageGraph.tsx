/**
 * The lineage graph as SVG: runs, artifact versions and model versions left to right in the
 * direction data flows, edges labelled produced / used / registered. Clicking a node (or Enter
 * on it) calls onSelect with its id; the page re-centres the graph there.
 */
import { useMemo, type KeyboardEvent } from "react";
import "../../styles/registry.css";
import type { LineageGraph as Graph, LineageNode } from "../../api/registry";
import { useWidth } from "../../hooks/useDom";
import { edgePath, labelPoint, layoutGraph } from "../../lib/lineageLayout";

const NODE_WIDTH = 216;
const NODE_HEIGHT = 56;
const KINDS = ["run", "artifact", "model"] as const;
const EDGE_KINDS = ["produced", "used", "registered"] as const;
/** A wide graph is shrunk to fit its box down to this scale; beyond that it scrolls. */
const MIN_SCALE = 0.6;

function ellipsize(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The small line above a node's name: what it is and its state. */
export function nodeCaption(node: LineageNode): string {
  if (node.kind === "run") return ["run", node.state, node.project].filter(Boolean).join(" · ");
  if (node.kind === "artifact") {
    const aliases = (node.aliases ?? []).filter((a) => a !== "latest");
    return [node.type ?? "artifact", node.project, aliases.length ? aliases.join(", ") : null].filter(Boolean).join(" · ");
  }
  return ["model", node.stage && node.stage !== "None" ? node.stage : null, ...(node.aliases ?? [])].filter(Boolean).join(" · ");
}

export function LineageGraph({ graph, onSelect }: { graph: Graph; onSelect: (id: string) => void }) {
  const layout = useMemo(
    () =>
      layoutGraph(
        graph.nodes.map((n) => n.id),
        graph.edges,
        { nodeWidth: NODE_WIDTH, nodeHeight: NODE_HEIGHT },
      ),
    [graph],
  );
  const byId = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);
  const [boxRef, boxWidth] = useWidth<HTMLDivElement>();
  const scale = boxWidth > 0 ? Math.min(1, Math.max(MIN_SCALE, boxWidth / layout.width)) : 1;
  const onKey = (e: KeyboardEvent, id: string) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      onSelect(id);
    }
  };

  return (
    <div className="lineage-scroll" ref={boxRef}>
      <svg
        className="lineage-svg"
        data-testid="lineage-graph"
        data-root={graph.root}
        data-nodes={graph.nodes.length}
        data-edges={graph.edges.length}
        data-scale={scale.toFixed(2)}
        width={Math.round(layout.width * scale)}
        height={Math.round(layout.height * scale)}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="group"
        aria-label={`Lineage of ${graph.root}`}
      >
        <defs>
          {EDGE_KINDS.map((k) => (
            <marker key={k} id={`lineage-arrow-${k}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className={`lin-arrow edge-${k}`} />
            </marker>
          ))}
        </defs>
        {layout.edges.map((e) => {
          const edge = graph.edges[e.index];
          if (!edge) return null;
          const kind = (EDGE_KINDS as readonly string[]).includes(edge.kind) ? edge.kind : "produced";
          const at = labelPoint(e.points);
          return (
            <g key={e.index} className={`lin-edge edge-${kind}`} data-testid="lineage-edge" data-kind={edge.kind} data-source={edge.source} data-target={edge.target}>
              <path d={edgePath(e.points)} markerEnd={`url(#lineage-arrow-${kind})`} />
              <text x={at.x} y={at.y - 5} textAnchor="middle" className="lin-edge-label">
                {edge.kind}
              </text>
            </g>
          );
        })}
        {layout.nodes.map((p) => {
          const node = byId.get(p.id);
          if (!node) return null;
          const kind = (KINDS as readonly string[]).includes(node.kind) ? node.kind : "run";
          const root = node.id === graph.root;
          return (
            <g
              key={node.id}
              className={`lin-node kind-${kind}${root ? " root" : ""}`}
              transform={`translate(${p.x},${p.y})`}
              data-testid="lineage-node"
              data-node-id={node.id}
              data-kind={node.kind}
              data-root={root ? "true" : "false"}
              tabIndex={0}
              role="button"
              aria-label={`${node.kind} ${node.label}${root ? " (centre)" : ""}`}
              onClick={() => onSelect(node.id)}
              onKeyDown={(e) => onKey(e, node.id)}
            >
              <title>{`${node.label}\n${node.id}${root ? "" : "\nClick to centre the graph here"}`}</title>
              <rect className="lin-box" width={NODE_WIDTH} height={NODE_HEIGHT} rx={9} />
              <rect className="lin-stripe" width={5} height={NODE_HEIGHT} rx={2} />
              <text x={16} y={21} className="lin-caption">
                {ellipsize(nodeCaption(node), 34)}
              </text>
              <text x={16} y={41} className="lin-label">
                {ellipsize(node.label, 26)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

export function LineageLegend() {
  return (
    <div className="lineage-legend" aria-label="Legend">
      <span className="legend-item">
        <span className="legend-dot kind-run" /> run
      </span>
      <span className="legend-item">
        <span className="legend-dot kind-artifact" /> artifact version
      </span>
      <span className="legend-item">
        <span className="legend-dot kind-model" /> model version
      </span>
      <span className="muted small">Arrows follow the data: produced → used → registered. Click a node to centre on it.</span>
    </div>
  );
}
