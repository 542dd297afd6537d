/** One metric's line chart: all lines overlaid, tooltip, drag to zoom, double-click to reset. */
import { memo, useCallback, useEffect, useMemo, useRef } from "react";
import type uPlot from "uplot";
import { buildChart, stepRangeForX, type LineInput } from "../../lib/chartData";
import { withAlpha } from "../../lib/colors";
import { formatDuration, formatElapsed, formatNumber } from "../../lib/format";
import { ELAPSED_INCREMENTS } from "../../lib/systemPanels";
import type { ChartState, Theme, XAxis } from "../../lib/urlState";
import { LineChart } from "./LineChart";
import { tooltipPlugin, type TooltipLine } from "./tooltip";

export interface PanelProps {
  metricKey: string;
  /** Shown instead of the key (which stays the tooltip), with an optional unit beside it. */
  title?: string;
  unit?: string;
  /** Name the lines under the chart (for panels whose lines are GPUs or ranks, not runs). */
  legend?: boolean;
  lines: LineInput[];
  xAxis: XAxis;
  smoothing: number;
  logScale: boolean;
  zoom: [number, number] | null;
  bucketed: boolean;
  loading: boolean;
  width: number;
  theme: Theme;
  onZoom: (range: [number, number] | null) => void;
  onDrawn: (key: string, lines: LineInput[]) => void;
}

/** The props all the panels of a grid have in common. */
export type GridPanelProps = Pick<PanelProps, "xAxis" | "smoothing" | "logScale" | "zoom" | "loading" | "width" | "theme" | "onZoom" | "onDrawn">;

/** The chart's settings (x axis, smoothing, log scale, zoom) with the grid's own props, for each panel of a grid. */
export function gridPanelProps(chart: ChartState, grid: Omit<GridPanelProps, "xAxis" | "smoothing" | "logScale" | "zoom">): GridPanelProps {
  const { xAxis, smoothing, logScale, zoom } = chart;
  return { xAxis, smoothing, logScale, zoom, ...grid };
}

const HEIGHT = 210;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

function formatStep(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${formatNumber(v / 1e6, 3)}M`;
  if (a >= 1e3) return `${formatNumber(v / 1e3, 3)}k`;
  return formatNumber(v, 4);
}

export function formatX(xAxis: XAxis, v: number): string {
  if (xAxis === "step") return `step ${Math.round(v).toLocaleString("en-US")}`;
  if (xAxis === "relative") return formatDuration(v) || "0s";
  if (xAxis === "elapsed") return formatElapsed(v);
  return new Date(v * 1000).toLocaleString();
}

export const Panel = memo(function Panel(props: PanelProps) {
  const { metricKey, title, unit, legend, lines, xAxis, smoothing, logScale, zoom, bucketed, loading, width, theme, onZoom, onDrawn } = props;
  const bins = Math.max(32, Math.floor(width / 3));
  const built = useMemo(() => buildChart(lines, { xAxis, smoothing, logScale, bins }), [lines, xAxis, smoothing, logScale, bins]);
  const builtRef = useRef(built);
  builtRef.current = built;

  const signature = built.series.map((s) => `${s.lineId}:${s.role}:${s.color}`).join("|");
  const options = useMemo(() => {
    const axis = cssVar("--chart-axis");
    const grid = cssVar("--chart-grid");
    const tooltipLines = (): TooltipLine[] =>
      builtRef.current.tooltip.map((t) => ({
        label: t.label,
        color: t.color,
        xs: t.xs,
        ys: t.ys,
        extra: t.lo && t.hi ? (i: number) => `(${formatNumber(t.lo?.[i] ?? NaN, 3)} – ${formatNumber(t.hi?.[i] ?? NaN, 3)})` : undefined,
      }));
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    built.series.forEach((s, i) => {
      const idx = i + 1;
      if (s.role === "raw") series.push({ stroke: withAlpha(s.color, 0.22), width: 1, points: { show: false } });
      else if (s.role === "max" || s.role === "min") {
        series.push({ stroke: withAlpha(s.color, 0.25), width: 0.5, points: { show: false } });
        if (s.role === "max") bands.push({ series: [idx, idx + 1], fill: withAlpha(s.color, 0.14) });
      } else series.push({ stroke: s.color, width: 1.5, points: { show: false } });
    });
    const font = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    const opts: Omit<uPlot.Options, "width" | "height"> = {
      series,
      bands,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false }, focus: { prox: 16 } },
      scales: {
        x: { time: xAxis === "time" },
        y: logScale ? { distr: 3, log: 10 } : {},
      },
      axes: [
        {
          stroke: axis,
          font,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1, size: 4 },
          incrs: xAxis === "elapsed" ? [...ELAPSED_INCREMENTS] : undefined,
          values:
            xAxis === "time"
              ? undefined
              : (_u: uPlot, splits: number[]) =>
                  splits.map((v) => (xAxis === "step" ? formatStep(v) : xAxis === "elapsed" ? formatElapsed(v) : formatDuration(v) || "0s")),
        },
        {
          stroke: axis,
          font,
          size: 52,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1, size: 4 },
          values: (_u: uPlot, splits: number[]) => splits.map((v) => formatNumber(v, 3)),
        },
      ],
      plugins: [tooltipPlugin(tooltipLines, (x) => formatX(xAxis, x))],
    };
    return opts;
    // signature captures the series layout; theme re-reads the CSS colours
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [signature, xAxis, logScale, theme]);

  const data = useMemo(() => [built.x, ...built.ys] as uPlot.AlignedData, [built]);
  // Zoom is a step range; on the elapsed axis steps are milliseconds.
  const xRange = useMemo<[number, number] | null>(
    () => (zoom && xAxis === "step" ? zoom : zoom && xAxis === "elapsed" ? [zoom[0] / 1000, zoom[1] / 1000] : null),
    [zoom, xAxis],
  );

  const onSelect = useCallback(
    (min: number, max: number) => {
      const r = stepRangeForX(lines, xAxis, min, max);
      if (r) onZoom(r);
    },
    [lines, xAxis, onZoom],
  );
  const onReset = useCallback(() => onZoom(null), [onZoom]);
  const linesRef = useRef(lines);
  linesRef.current = lines;
  const onDraw = useCallback(() => onDrawn(metricKey, linesRef.current), [metricKey, onDrawn]);

  const runsDrawn = lines.filter((l) => l.members.some((m) => m.points.steps.length > 0)).length;
  const minStep = zoom ? zoom[0] : built.minStep;
  const maxStep = zoom ? zoom[1] : built.maxStep;
  const empty = built.x.length === 0;
  useEffect(() => {
    if (empty && !loading) onDrawn(metricKey, lines);
  }, [empty, loading, lines, metricKey, onDrawn]);

  return (
    <div
      className="panel card"
      data-testid="panel"
      data-key={metricKey}
      data-series={runsDrawn}
      data-points={built.points}
      data-bucketed={bucketed ? "true" : "false"}
      data-min-step={minStep ?? ""}
      data-max-step={maxStep ?? ""}
      data-x-axis={xAxis}
    >
      <div className="panel-head">
        <h4 title={metricKey}>
          {title ?? metricKey}
          {unit && <span className="panel-unit"> {unit}</span>}
        </h4>
        <div className="panel-badges">
          {bucketed && (
            <span className="chip" title="More points than pixels: each pixel column shows the min and max. Drag to zoom in for full resolution.">
              downsampled
            </span>
          )}
          {zoom && (
            <button type="button" className="chip chip-btn" onClick={onReset} title="Show all steps (or double-click the chart)">
              {xAxis === "elapsed"
                ? `${formatElapsed(zoom[0] / 1000)}–${formatElapsed(zoom[1] / 1000)}`
                : `steps ${formatStep(zoom[0])}–${formatStep(zoom[1])}`}{" "}
              ✕
            </button>
          )}
        </div>
      </div>
      <div className="panel-body" style={{ height: HEIGHT }}>
        {empty ? (
          <div className="panel-empty muted">{loading ? "Loading…" : "No data for the visible runs"}</div>
        ) : (
          <LineChart
            options={options}
            data={data}
            width={width - 2}
            height={HEIGHT}
            xRange={xRange}
            onSelect={onSelect}
            onReset={onReset}
            onDraw={onDraw}
          />
        )}
      </div>
      {legend && lines.length > 1 && (
        <div className="panel-legend" data-testid="panel-legend">
          {lines.map((l) => (
            <span key={l.id} className="panel-legend-item">
              <span className="swatch" style={{ background: l.color }} aria-hidden="true" />
              {l.label}
            </span>
          ))}
        </div>
      )}
    </div>
  );
});
