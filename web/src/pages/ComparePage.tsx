/** Compare 2–20 runs: config diff, overlaid charts, parallel coordinates and a scatter plot. */
import { useCallback, useMemo } from "react";
import { searchRuns } from "../api/endpoints";
import type { Run } from "../api/types";
import { PanelGrid, type ChartRun } from "../components/charts/PanelGrid";
import { ConfigDiff } from "../components/compare/ConfigDiff";
import { ParallelCoords } from "../components/compare/ParallelCoords";
import { ScatterPlot } from "../components/compare/ScatterPlot";
import { EmptyState, ErrorMessage, LiveIndicator, Loading, Swatch } from "../components/common";
import { useAsync } from "../hooks/useAsync";
import { usePageVisible } from "../hooks/useDom";
import { useCurrentTheme } from "../hooks/useTheme";
import { colorFor } from "../lib/colors";
import { compareKeys, diffConfigs, getPath } from "../lib/config";
import { buildDim } from "../lib/dimensions";
import { decodeChartState, decodeList, encodeChartState, type ChartState } from "../lib/urlState";
import { Link, projectPath, runPagePath, useSearch, useSetSearch } from "../router";

const MAX_RUNS = 20;

export function ComparePage({ project }: { project: string }) {
  const search = useSearch();
  const setSearch = useSetSearch();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const ids = useMemo(() => decodeList(params.get("runs")).slice(0, MAX_RUNS), [params]);
  const chart = useMemo(() => decodeChartState(params), [params]);
  const theme = useCurrentTheme();
  const visible = usePageVisible();

  const { data, error, loading, reload } = useAsync(
    (signal) =>
      ids.length
        ? searchRuns(project, { filter: `id in (${ids.map((id) => JSON.stringify(id)).join(", ")})`, limit: ids.length }, signal)
        : Promise.resolve({ runs: [] as Run[], total: 0, next_offset: null }),
    [project, ids.join(",")],
  );
  // Keep the order of the link.
  const runs = useMemo(() => {
    const byId = new Map((data?.runs ?? []).map((r) => [r.id, r]));
    return ids.flatMap((id) => (byId.has(id) ? [byId.get(id) as Run] : []));
  }, [data, ids]);
  const missing = data ? ids.filter((id) => !runs.some((r) => r.id === id)) : [];

  const setParam = useCallback(
    (fn: (p: URLSearchParams) => void) => {
      const p = new URLSearchParams(window.location.search);
      fn(p);
      setSearch(p.toString());
    },
    [setSearch],
  );
  const onChartChange = useCallback(
    (patch: Partial<ChartState>) => setParam((p) => encodeChartState({ ...decodeChartState(p), ...patch }, p)),
    [setParam],
  );

  const diff = useMemo(() => diffConfigs(runs.map((r) => r.config)), [runs]);
  const summaryKeys = useMemo(
    () => [...new Set(runs.flatMap((r) => Object.keys(r.summary ?? {})))].sort(compareKeys),
    [runs],
  );
  const configKeys = diff.map((d) => d.key);
  const metric = params.get("metric") ?? summaryKeys.find((k) => /val.*(acc|loss)/i.test(k)) ?? summaryKeys[0] ?? "";
  const sx = params.get("sx") ?? (diff.find((d) => d.differs) ? `config.${diff.find((d) => d.differs)?.key}` : `summary.${summaryKeys[0] ?? ""}`);
  const sy = params.get("sy") ?? (metric ? `summary.${metric}` : "");

  const valueOf = useCallback((r: Run, id: string): unknown => {
    if (id.startsWith("config.")) return getPath(r.config, id.slice(7));
    if (id.startsWith("summary.")) return r.summary?.[id.slice(8)];
    return undefined;
  }, []);
  const dims = useMemo(() => {
    const keys = diff.filter((d) => d.differs).slice(0, 12).map((d) => `config.${d.key}`);
    if (metric) keys.push(`summary.${metric}`);
    return keys.map((id) => buildDim(id, id.replace(/^config\./, "").replace(/^summary\./, ""), runs.map((r) => valueOf(r, id))));
  }, [diff, metric, runs, valueOf]);
  const xDim = sx ? buildDim(sx, sx.replace(/^(config|summary)\./, ""), runs.map((r) => valueOf(r, sx)), 0.06) : null;
  const yDim = sy ? buildDim(sy, sy.replace(/^summary\./, ""), runs.map((r) => valueOf(r, sy)), 0.08) : null;

  const chartRuns: ChartRun[] = useMemo(
    () => runs.map((r) => ({ id: r.id, label: r.name || r.id, color: colorFor(r.id), start: r.created, running: r.state === "running" })),
    [runs],
  );
  const live = visible && runs.some((r) => r.state === "running");

  if (ids.length < 2) {
    return (
      <main className="page">
        <EmptyState title="Pick at least two runs to compare">
          <p>
            In the <Link to={projectPath(project)}>runs table</Link>, tick the checkboxes of 2 to {MAX_RUNS} runs and press Compare.
          </p>
        </EmptyState>
      </main>
    );
  }
  if (error) return <main className="page"><ErrorMessage error={error} onRetry={reload} /></main>;
  if (loading && !data) return <main className="page"><Loading label="Loading runs…" /></main>;

  return (
    <main className="page compare-page">
      <div className="page-head">
        <div>
          <h1>
            Comparing {runs.length} runs <LiveIndicator active={live} />
          </h1>
          <div className="run-chips">
            {runs.map((r) => (
              <Link key={r.id} to={runPagePath(project, r.id)} className="run-chip">
                <Swatch color={colorFor(r.id)} /> {r.name || r.id}
              </Link>
            ))}
          </div>
          {missing.length > 0 && (
            <p className="warning small">
              Not found (deleted or from another project): <span className="mono">{missing.join(", ")}</span>
            </p>
          )}
        </div>
      </div>
      <ConfigDiff runs={runs} rows={diff} showAll={params.get("all") === "1"} onShowAll={(all) => setParam((p) => (all ? p.set("all", "1") : p.delete("all")))} />
      <div className="compare-plots">
        <div className="card">
          <div className="card-title">
            <h3>Parallel coordinates</h3>
            <label className="control right">
              <span>Metric</span>
              <select className="input select" value={metric} onChange={(e) => setParam((p) => p.set("metric", e.target.value))}>
                {summaryKeys.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ParallelCoords runs={runs} dims={dims} />
        </div>
        <div className="card">
          <div className="card-title">
            <h3>Scatter</h3>
            <label className="control right">
              <span>X</span>
              <select className="input select" value={sx} onChange={(e) => setParam((p) => p.set("sx", e.target.value))}>
                <optgroup label="Config">
                  {configKeys.map((k) => (
                    <option key={`c${k}`} value={`config.${k}`}>
                      {k}
                    </option>
                  ))}
                </optgroup>
                <optgroup label="Metrics">
                  {summaryKeys.map((k) => (
                    <option key={`s${k}`} value={`summary.${k}`}>
                      {k}
                    </option>
                  ))}
                </optgroup>
              </select>
            </label>
            <label className="control">
              <span>Y</span>
              <select className="input select" value={sy} onChange={(e) => setParam((p) => p.set("sy", e.target.value))}>
                {summaryKeys.map((k) => (
                  <option key={k} value={`summary.${k}`}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ScatterPlot runs={runs} x={xDim} y={yDim} />
        </div>
      </div>
      <h2 className="section-heading">Charts</h2>
      <PanelGrid project={project} runs={chartRuns} chart={chart} onChange={onChartChange} live={live} theme={theme} slashFocus />
    </main>
  );
}
