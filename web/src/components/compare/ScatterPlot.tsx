/** A scatter plot of any config key or metric against any metric, one dot per run. */
import { useState } from "react";
import type { Run } from "../../api/types";
import { useWidth } from "../../hooks/useDom";
import { colorFor } from "../../lib/colors";
import { positionOf, type Dim } from "../../lib/dimensions";
import { formatNumber } from "../../lib/format";
import { niceTicks } from "../../lib/scales";

const H = 300;
const M = { top: 16, right: 20, bottom: 40, left: 64 };

export function ScatterPlot({ runs, x, y }: { runs: Run[]; x: Dim | null; y: Dim | null }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<number | null>(null);
  const w = Math.max(width, 280);
  if (!x || !y) {
    return (
      <div className="scatter-plot" data-testid="scatter-plot" ref={ref}>
        <p className="muted">Choose a metric for the y axis (the runs have no summary metrics yet).</p>
      </div>
    );
  }
  const left = M.left;
  const right = w - M.right;
  const top = M.top;
  const bottom = H - M.bottom;
  const ticks = (d: Dim) =>
    d.kind === "num" && d.domain
      ? d.log
        ? [...Array(Math.ceil(Math.log10(d.domain[1])) - Math.floor(Math.log10(d.domain[0])) + 1)].map((_, i) => Math.pow(10, Math.floor(Math.log10(d.domain![0])) + i))
        : niceTicks(d.domain[0], d.domain[1], 5)
      : d.categories;
  const pts = runs.map((r, i) => ({
    run: r,
    px: positionOf(x, x.values[i] ?? null, left, right),
    py: positionOf(y, y.values[i] ?? null, bottom, top),
  }));
  const drawn = pts.filter((p) => p.px !== null && p.py !== null);
  const label = (v: number | string) => (typeof v === "number" ? formatNumber(v, 3) : v);
  return (
    <div className="scatter-plot" data-testid="scatter-plot" data-points={drawn.length} ref={ref}>
      <svg width={w} height={H} role="img" aria-label={`${y.label} against ${x.label}`}>
        {ticks(y).map((t) => {
          const py = positionOf(y, t, bottom, top);
          return py === null || py < top - 1 || py > bottom + 1 ? null : (
            <g key={`y${t}`}>
              <line x1={left} x2={right} y1={py} y2={py} className="grid-line" />
              <text x={left - 6} y={py + 3.5} textAnchor="end" className="pc-tick">
                {label(t)}
              </text>
            </g>
          );
        })}
        {ticks(x).map((t) => {
          const px = positionOf(x, t, left, right);
          return px === null || px < left - 1 || px > right + 1 ? null : (
            <g key={`x${t}`}>
              <line x1={px} x2={px} y1={top} y2={bottom} className="grid-line" />
              <text x={px} y={bottom + 16} textAnchor="middle" className="pc-tick">
                {label(t)}
              </text>
            </g>
          );
        })}
        <line x1={left} x2={right} y1={bottom} y2={bottom} className="pc-axis" />
        <line x1={left} x2={left} y1={top} y2={bottom} className="pc-axis" />
        <text x={(left + right) / 2} y={H - 6} textAnchor="middle" className="pc-label">
          {x.label}
        </text>
        {drawn.map((p, i) => (
          <circle
            key={p.run.id}
            cx={p.px as number}
            cy={p.py as number}
            r={hover === i ? 7 : 5.5}
            fill={colorFor(p.run.id)}
            stroke="var(--surface)"
            strokeWidth={1.5}
            onMouseEnter={() => setHover(i)}
            onMouseLeave={() => setHover(null)}
          >
            <title>
              {`${p.run.name || p.run.id}\n${x.label}: ${label(x.values[runs.indexOf(p.run)] ?? "")}\n${y.label}: ${label(y.values[runs.indexOf(p.run)] ?? "")}`}
            </title>
          </circle>
        ))}
      </svg>
      {drawn.length < runs.length && (
        <div className="muted small">{runs.length - drawn.length} run(s) lack one of the values and are not drawn.</div>
      )}
    </div>
  );
}
