/**
 * The chart area: one panel per metric key, in collapsible sections by key prefix, with the
 * shared controls. Fetches series for every visible run × shown key in batch requests.
 */
import { useCallback, useEffect, useMemo, useRef, type ReactNode } from "react";
import { useWidth } from "../../hooks/useDom";
import { useMetricKeys } from "../../hooks/useMetricKeys";
import { useSeriesData } from "../../hooks/useSeriesData";
import type { LineInput } from "../../lib/chartData";
import { groupPanels } from "../../lib/panels";
import { compileSearch } from "../../lib/regex";
import type { Points } from "../../lib/series";
import { toggleCollapsed, type ChartState, type Theme } from "../../lib/urlState";
import { EmptyState, ErrorMessage, Loading, NoMatches } from "../common";
import { ChartControls } from "./ChartControls";
import { ChartSection } from "./ChartSection";
import { gridPanelProps, Panel } from "./Panel";

export interface ChartRun {
  id: string;
  label: string;
  color: string;
  start: number;
  running: boolean;
}

export interface ChartGroup {
  id: string;
  label: string;
  color: string;
  runIds: string[];
}

interface Props {
  project: string;
  runs: ChartRun[];
  groups?: ChartGroup[] | null;
  chart: ChartState;
  onChange: (patch: Partial<ChartState>) => void;
  live: boolean;
  theme: Theme;
  /** Only keys passing this are charted (e.g. system/ on the run page's System tab). */
  keyFilter?: (key: string) => boolean;
  empty?: ReactNode;
  slashFocus?: boolean;
}

const GAP = 12;
const MIN_PANEL = 360;

/** How many panels fit side by side in `width`, and how wide each is. */
export function panelLayout(width: number): { cols: number; panelWidth: number } {
  const cols = Math.max(1, Math.floor((width + GAP) / (MIN_PANEL + GAP)));
  return { cols, panelWidth: Math.floor((width - GAP * (cols - 1)) / cols) };
}

export function PanelGrid({ project, runs, groups, chart, onChange, live, theme, keyFilter, empty, slashFocus }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const { cols, panelWidth } = panelLayout(width || 800);
  const buckets = Math.max(100, Math.round(panelWidth / 100) * 100);
  const runIds = useMemo(() => runs.map((r) => r.id), [runs]);
  const metricKeys = useMetricKeys(project, runIds, live);

  const { re, error: searchError } = compileSearch(chart.panelSearch);
  const allKeys = useMemo(() => (keyFilter ? metricKeys.keys.filter(keyFilter) : metricKeys.keys), [metricKeys.keys, keyFilter]);
  const sections = useMemo(() => groupPanels(allKeys, searchError ? null : re), [allKeys, re?.source, searchError]); // eslint-disable-line react-hooks/exhaustive-deps
  const shownKeys = useMemo(
    () => sections.filter((s) => !chart.collapsed.includes(s.prefix || "other")).flatMap((s) => s.keys),
    [sections, chart.collapsed],
  );
  const pollIds = useMemo(() => (live ? runs.filter((r) => r.running).map((r) => r.id) : []), [runs, live]);
  const data = useSeriesData(project, runIds, shownKeys, buckets, chart.zoom, pollIds);

  // Lines per key, reused while their points are unchanged so untouched panels don't redraw.
  const meta = useMemo(
    () =>
      runs.map((r) => `${r.id}:${r.color}:${r.label}:${r.start}`).join("|") +
      "#" +
      (groups ?? []).map((g) => `${g.id}:${g.color}:${g.label}:${g.runIds.join(",")}`).join("|"),
    [runs, groups],
  );
  const cache = useRef(new Map<string, { meta: string; parts: (Points | undefined)[]; lines: LineInput[] }>());
  const linesFor = useCallback(
    (key: string): LineInput[] => {
      const parts = runs.map((r) => data.get(key, r.id));
      const old = cache.current.get(key);
      if (old && old.meta === meta && old.parts.length === parts.length && old.parts.every((p, i) => p === parts[i])) return old.lines;
      let lines: LineInput[];
      if (groups) {
        const byId = new Map(runs.map((r, i) => [r.id, { run: r, points: parts[i] }]));
        lines = groups.map((g) => ({
          id: g.id,
          label: g.label,
          color: g.color,
          group: true,
          members: g.runIds.flatMap((id) => {
            const m = byId.get(id);
            return m?.points ? [{ points: m.points, start: m.run.start }] : [];
          }),
        }));
      } else {
        lines = runs.map((r, i) => ({
          id: r.id,
          label: r.label,
          color: r.color,
          group: false,
          members: parts[i] ? [{ points: parts[i] as Points, start: r.start }] : [],
        }));
      }
      cache.current.set(key, { meta, parts, lines });
      return lines;
    },
    // data.version changes whenever points change
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [runs, groups, meta, data.version],
  );

  // Benchmarks read window.__trailmark.chartsDrawnAt once every visible panel has drawn.
  const drawn = useRef(new Map<string, LineInput[]>());
  const expected = useRef<{ keys: string[]; linesFor: (k: string) => LineInput[]; loading: boolean }>({ keys: [], linesFor, loading: true });
  expected.current = { keys: shownKeys, linesFor, loading: data.loading || metricKeys.loading };
  const check = useCallback(() => {
    const e = expected.current;
    if (e.loading) return;
    if (e.keys.every((k) => drawn.current.get(k) === e.linesFor(k))) window.__trailmark.chartsDrawnAt = performance.now();
  }, []);
  const onDrawn = useCallback(
    (key: string, lines: LineInput[]) => {
      drawn.current.set(key, lines);
      check();
    },
    [check],
  );
  useEffect(check, [check, data.version, data.loading, metricKeys.loading, shownKeys]);

  const onZoom = useCallback((zoom: [number, number] | null) => onChange({ zoom }), [onChange]);
  const toggleSection = (id: string) => onChange({ collapsed: toggleCollapsed(chart.collapsed, id) });

  const noRuns = runs.length === 0;
  const shared = gridPanelProps(chart, { loading: data.loading, width: panelWidth, theme, onZoom, onDrawn });
  return (
    <div className="panel-grid-wrap" ref={ref}>
      <ChartControls chart={chart} onChange={onChange} searchError={searchError} slashFocus={slashFocus} />
      {data.error ? <ErrorMessage error={data.error} onRetry={data.retry} compact /> : null}
      {metricKeys.error ? <ErrorMessage error={metricKeys.error} onRetry={metricKeys.retry} compact /> : null}
      {noRuns ? (
        (empty ?? (
          <EmptyState title="No runs shown in the charts">
            <p>Turn on the eye of a run in the table to draw it here.</p>
          </EmptyState>
        ))
      ) : metricKeys.loading && allKeys.length === 0 ? (
        <Loading label="Loading metrics…" />
      ) : allKeys.length === 0 ? (
        (empty ?? (
          <EmptyState title="No metrics logged yet">
            <p>
              Charts appear here as soon as the runs call <code>run.log(&#123;"train/loss": loss&#125;)</code>.
            </p>
          </EmptyState>
        ))
      ) : sections.length === 0 ? (
        <NoMatches title="No chart matches the filter" clearLabel="Clear the filter" onClear={() => onChange({ panelSearch: "" })}>
          Nothing matches “{chart.panelSearch}”.
        </NoMatches>
      ) : (
        sections.map((s) => {
          const id = s.prefix || "other";
          const collapsed = chart.collapsed.includes(id);
          return (
            <ChartSection key={id} id={id} title={s.title} count={s.keys.length} collapsed={collapsed} onToggle={() => toggleSection(id)} cols={cols}>
              {s.keys.map((key) => (
                <Panel key={key} metricKey={key} lines={linesFor(key)} bucketed={data.isBucketed(key)} {...shared} />
              ))}
            </ChartSection>
          );
        })
      )}
    </div>
  );
}
