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
import { SYSTEM_X_MODES, toggleCollapsed, type ChartState, type Theme } from "../../lib/urlState";
import { ChartControls } from "../charts/ChartControls";
import { ChartSection } from "../charts/ChartSection";
import { gridPanelProps, Panel } from "../charts/Panel";
import { panelLayout, type ChartRun } from "../charts/PanelGrid";
import { ErrorMessage, Loading, NoMatches } from "../common";
import "../../styles/capture.css";

interface Props {
  project: string;
  run: ChartRun;
  chart: ChartState;
  onChange: (patch: Partial<ChartState>) => void;
  live: boolean;
  theme: Theme;
}

const isSystem = (k: string) => k.startsWith("system/");

export function SystemCharts({ project, run, chart, onChange, live, theme }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const { cols, panelWidth } = panelLayout(width || 800);
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
  const shared = gridPanelProps(chart, { loading: data.loading, width: panelWidth, theme, onZoom, onDrawn });
  const toggle = (id: string) => onChange({ collapsed: toggleCollapsed(chart.collapsed, id) });

  return (
    <div className="panel-grid-wrap system-charts" ref={ref} data-testid="system-charts">
      <ChartControls chart={chart} onChange={onChange} searchError={searchError} xModes={SYSTEM_X_MODES} slashFocus />
      {data.error ? <ErrorMessage error={data.error} onRetry={data.retry} compact /> : null}
      {metricKeys.error ? <ErrorMessage error={metricKeys.error} onRetry={metricKeys.retry} compact /> : null}
      {metricKeys.loading && keys.length === 0 ? (
        <Loading label="Loading system metrics…" />
      ) : sections.length === 0 ? (
        <NoMatches title="No system chart matches the filter" clearLabel="Clear the filter" onClear={() => onChange({ panelSearch: "" })}>
          Nothing matches “{chart.panelSearch}”.
        </NoMatches>
      ) : (
        sections.map((s) => {
          const collapsed = chart.collapsed.includes(s.id);
          const lines = s.panels.reduce((n, p) => n + p.series.length, 0);
          return (
            <ChartSection
              key={s.id}
              id={s.id}
              title={s.title}
              count={s.panels.length}
              countTitle={`${lines} series`}
              collapsed={collapsed}
              onToggle={() => toggle(s.id)}
              cols={cols}
            >
              {s.panels.map((p) => (
                <Panel
                  key={p.id}
                  metricKey={p.id}
                  title={p.title}
                  unit={p.unit}
                  legend
                  lines={linesFor(p)}
                  bucketed={p.series.some((x) => data.isBucketed(x.key))}
                  {...shared}
                />
              ))}
            </ChartSection>
          );
        })
      )}
    </div>
  );
}
