/** Parallel coordinates on SVG: one axis per differing config key plus a metric; drag on an axis to filter. */
import { useMemo, useRef, useState, type PointerEvent } from "react";
import type { Run } from "../../api/types";
import { useWidth } from "../../hooks/useDom";
import { colorFor } from "../../lib/colors";
import { positionOf, type Dim } from "../../lib/dimensions";
import { formatNumber } from "../../lib/format";
import { niceTicks } from "../../lib/scales";

const H = 300;
const TOP = 36;
const BOTTOM = H - 24;
const PAD_X = 70;

type Brush = [number, number]; // pixel range (y0 < y1)

export function ParallelCoords({ runs, dims }: { runs: Run[]; dims: Dim[] }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [brushes, setBrushes] = useState<Record<string, Brush>>({});
  const drag = useRef<{ dim: string; y0: number } | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const svgRef = useRef<SVGSVGElement>(null);

  const w = Math.max(width, 300);
  const xOf = (i: number) => (dims.length === 1 ? w / 2 : PAD_X + (i * (w - 2 * PAD_X)) / (dims.length - 1));
  const ys = useMemo(
    () => runs.map((_, r) => dims.map((d) => positionOf(d, d.values[r] ?? null, BOTTOM, TOP))),
    [runs, dims],
  );
  const passes = ys.map((row) =>
    dims.every((d, i) => {
      const b = brushes[d.id];
      if (!b) return true;
      const y = row[i];
      return y !== null && y !== undefined && y >= b[0] && y <= b[1];
    }),
  );

  const localY = (e: PointerEvent) => {
    const rect = svgRef.current?.getBoundingClientRect();
    return rect ? e.clientY - rect.top : 0;
  };
  const onDown = (dim: string) => (e: PointerEvent<SVGRectElement>) => {
    (e.target as Element).setPointerCapture(e.pointerId);
    drag.current = { dim, y0: localY(e) };
  };
  const onMove = (e: PointerEvent<SVGRectElement>) => {
    const d = drag.current;
    if (!d) return;
    const y = localY(e);
    if (Math.abs(y - d.y0) < 3) return;
    setBrushes((b) => ({ ...b, [d.dim]: [Math.max(TOP - 4, Math.min(d.y0, y)), Math.min(BOTTOM + 4, Math.max(d.y0, y))] }));
  };
  const onUp = (e: PointerEvent<SVGRectElement>) => {
    const d = drag.current;
    drag.current = null;
    if (d && Math.abs(localY(e) - d.y0) < 3) {
      setBrushes((b) => {
        const n = { ...b };
        delete n[d.dim];
        return n;
      });
    }
  };

  const activeCount = passes.filter(Boolean).length;
  return (
    <div className="parallel-coords" data-testid="parallel-coords" data-active={activeCount} ref={ref}>
      <div className="plot-note muted small">
        Drag along an axis to keep only the runs in that range; click an axis to clear it.{" "}
        {Object.keys(brushes).length > 0 && (
          <>
            {activeCount} of {runs.length} runs kept.{" "}
            <button type="button" className="link-btn small" onClick={() => setBrushes({})}>
              Clear all
            </button>
          </>
        )}
      </div>
      {dims.length === 0 ? (
        <p className="muted">No config key differs between these runs and no metric is chosen.</p>
      ) : (
        <svg ref={svgRef} width={w} height={H} role="img" aria-label="Parallel coordinates of config and metric">
          {ys.map((row, r) => {
            const pts = row.flatMap((y, i) => (y === null || y === undefined ? [] : [`${xOf(i)},${y}`]));
            const run = runs[r] as Run;
            const on = passes[r];
            return (
              <polyline
                key={run.id}
                points={pts.join(" ")}
                fill="none"
                stroke={on ? colorFor(run.id) : "var(--muted-line)"}
                strokeWidth={hover === r ? 3.5 : on ? 2 : 1}
                strokeOpacity={on ? 0.9 : 0.35}
                onMouseEnter={() => setHover(r)}
                onMouseLeave={() => setHover(null)}
              >
                <title>{run.name || run.id}</title>
              </polyline>
            );
          })}
          {dims.map((d, i) => {
            const x = xOf(i);
            const ticks =
              d.kind === "num" && d.domain
                ? d.log
                  ? logTicks(d.domain)
                  : niceTicks(d.domain[0], d.domain[1], 4)
                : d.categories;
            const b = brushes[d.id];
            return (
              <g key={d.id}>
                <line x1={x} x2={x} y1={TOP} y2={BOTTOM} className="pc-axis" />
                <text x={x} y={TOP - 16} textAnchor="middle" className="pc-label">
                  {d.label.length > 22 ? `${d.label.slice(0, 21)}…` : d.label}
                  <title>{d.label}</title>
                </text>
                {ticks.map((t) => {
                  const y = positionOf(d, t, BOTTOM, TOP);
                  if (y === null || y < TOP - 1 || y > BOTTOM + 1) return null;
                  return (
                    <g key={String(t)}>
                      <line x1={x - 4} x2={x} y1={y} y2={y} className="pc-axis" />
                      <text x={x - 7} y={y + 3.5} textAnchor="end" className="pc-tick">
                        {typeof t === "number" ? formatNumber(t, 3) : t.length > 12 ? `${t.slice(0, 11)}…` : t}
                      </text>
                    </g>
                  );
                })}
                {b && <rect x={x - 7} y={b[0]} width={14} height={b[1] - b[0]} className="pc-brush" />}
                <rect
                  x={x - 12}
                  y={TOP - 6}
                  width={24}
                  height={BOTTOM - TOP + 12}
                  fill="transparent"
                  style={{ cursor: "ns-resize", touchAction: "none" }}
                  data-axis={d.id}
                  onPointerDown={onDown(d.id)}
                  onPointerMove={onMove}
                  onPointerUp={onUp}
                />
              </g>
            );
          })}
        </svg>
      )}
    </div>
  );
}

function logTicks([a, b]: [number, number]): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(a)); e <= Math.ceil(Math.log10(b)); e++) out.push(Math.pow(10, e));
  return out;
}
