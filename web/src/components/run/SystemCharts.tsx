/**
 * The System tab: the run's `system/*` series in sections (CPU, memory, GPU, disk, network),
 * one panel per measurement with a line per GPU and per rank, on an elapsed-time x axis by
 * default (system steps are milliseconds since the run was created).
 */
import { useCallback, useMemo, useRef } from "react";
import { useWidth } from "../../hooks/useDom";
import { useMetricKeys } from "../../hooks/useMetricKeys";
import { useSeriesData } from "../../hooks/useSeriesData";
import type { LineInput } from "../../lib/chartData";
import { PALETTE } from "../../lib/colors";
import { compileSearch } from "../../lib/regex";
import type { Points } from "../../lib/series";
import { groupSystemKeys, type SystemPanel } from "../../lib/systemPanels";
import { SYSTEM_X_MODES, type ChartState, type Theme } from "../../lib/urlState";
import { ChartControls } from "../charts/ChartControls";
import { Panel } from "../charts/Panel";
import type { ChartRun } from "../charts/PanelGrid";
import { EmptyState, ErrorMessage, Loading } from "../common";
import "../../styles/capture.css";

interface Props {
  project: string;
  run: ChartRun;
  chart: ChartState;
  onChange: (patch: Partial<ChartState>) => void;
  live: boolean;
  theme: Theme;
}

const GAP = 12;
const MIN_PANEL = 360;
const isSystem = (k: string) => k.startsWith("system/");

export function SystemCharts({ project, run, chart, onChange, live, theme }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const cols = Math.max(1, Math.floor(((width || 800) + GAP) / (MIN_PANEL + GAP)));
  const panelWidth = Math.floor(((width || 800) - GAP * (cols - 1)) / cols);
  const buckets = Math.max(100, Math.round(panelWidth / 100) * 100);
  const runIds = useMemo(() => [run.id], [run.id]);
  const metricKeys = useMetricKeys(project, runIds, live);
  const keys = useMemo(() => metricKeys.keys.filter(isSystem), [metricKeys.keys]);

  const { re, error: searchError } = compileSearch(chart.panelSearch);
  const sections = useMemo(() => groupSystemKeys(keys, searchError ? null : re), [keys, re?.source, searchError]); // eslint-disable-line react-hooks/exhaustive-deps
  const shownKeys = useMemo(
    () => sections.filter((s) => !chart.collapsed.includes(s.id)).flatMap((s) => s.panels.flatMap((p) => p.series.map((x) => x.key))),
    [sections, chart.collapsed],
  );
  const pollIds = useMemo(() => (live && run.running ? [run.id] : []), [live, run.running, run.id]);
  const data = useSeriesData(project, runIds, shownKeys, buckets, chart.zoom, pollIds);

  // Lines per panel, kept while their points are unchanged so untouched panels don't redraw.
  const cache = useRef(new Map<string, { meta: string; parts: (Points | undefined)[]; lines: LineInput[] }>());
  const meta = `${run.id}:${run.color}:${run.label}:${run.start}`;
  const linesFor = useCallback(
    (panel: SystemPanel): LineInput[] => {
      const parts = panel.series.map((s) => data.get(s.key, run.id));
      const old = cache.current.get(panel.id);
      if (old && old.meta === meta && old.parts.length === parts.length && old.parts.every((p, i) => p === parts[i])) return old.lines;
      const single = panel.series.length === 1;
      const lines = panel.series.map((s, i) => ({
        id: s.key,
        label: s.label || run.label,
        color: single ? run.color : (PALETTE[i % PALETTE.length] as string),
        group: false,
        members: parts[i] ? [{ points: parts[i] as Points, start: run.start }] : [],
      }));
      cache.current.set(panel.id, { meta, parts, lines });
      return lines;
    },
    // data.version changes whenever points change
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [meta, data.version],
  );

  const onZoom = useCallback((zoom: [number, number] | null) => onChange({ zoom }), [onChange]);
  const onDrawn = useCallback(() => {
    window.__trailmark.chartsDrawnAt = performance.now();
  }, []);
  const toggle = (id: string) =>
    onChange({ collapsed: chart.collapsed.includes(id) ? chart.collapsed.filter((c) => c !== id) : [...chart.collapsed, id] });

  return (
    <div className="panel-grid-wrap system-charts" ref={ref} data-testid="system-charts">
      <ChartControls chart={chart} onChange={onChange} searchError={searchError} xModes={SYSTEM_X_MODES} slashFocus />
      {data.error ? <ErrorMessage error={data.error} onRetry={data.retry} compact /> : null}
      {metricKeys.error ? <ErrorMessage error={metricKeys.error} onRetry={metricKeys.retry} compact /> : null}
      {metricKeys.loading && keys.length === 0 ? (
        <Loading label="Loading system metrics…" />
      ) : sections.length === 0 ? (
        <EmptyState title="No system chart matches the filter">
          <p>
            Nothing matches “{chart.panelSearch}”.{" "}
            <button type="button" className="link-btn" onClick={() => onChange({ panelSearch: "" })}>
              Clear the filter
            </button>
          </p>
        </EmptyState>
      ) : (
        sections.map((s) => {
          const collapsed = chart.collapsed.includes(s.id);
          const lines = s.panels.reduce((n, p) => n + p.series.length, 0);
          return (
            <section key={s.id} className="panel-section" data-testid="panel-section" data-prefix={s.id}>
              <button type="button" className="section-head" aria-expanded={!collapsed} onClick={() => toggle(s.id)}>
                <span className={collapsed ? "chevron" : "chevron open"} aria-hidden="true">
                  ▸
                </span>
                <span className="section-title">{s.title}</span>
                <span className="count" title={`${lines} series`}>
                  {s.panels.length}
                </span>
              </button>
              {!collapsed && (
                <div className="panel-grid" style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}>
                  {s.panels.map((p) => (
                    <Panel
                      key={p.id}
                      metricKey={p.id}
                      title={p.title}
                      unit={p.unit}
                      legend
                      lines={linesFor(p)}
                      xAxis={chart.xAxis}
                      smoothing={chart.smoothing}
                      logScale={chart.logScale}
                      zoom={chart.zoom}
                      bucketed={p.series.some((x) => data.isBucketed(x.key))}
                      loading={data.loading}
                      width={panelWidth}
                      theme={theme}
                      onZoom={onZoom}
                      onDrawn={onDrawn}
                    />
                  ))}
                </div>
              )}
            </section>
          );
        })
      )}
    </div>
  );
}
