/** One run: overview, config, summary, editable tags and notes, its charts; system, logs, files tabs. */
import { useCallback, useMemo, useState } from "react";
import { getRun, patchRun, runMetrics, runPath } from "../api/endpoints";
import type { Run, RunPatch } from "../api/types";
import { PanelGrid, type ChartRun } from "../components/charts/PanelGrid";
import { EmptyState, ErrorMessage, LiveIndicator, Loading, Swatch } from "../components/common";
import { ConfigTree } from "../components/run/ConfigTree";
import { NotesEditor, TagsEditor } from "../components/run/Editors";
import { FilesTab, LogsTab } from "../components/run/OptionalTab";
import { RunOverview } from "../components/run/RunOverview";
import { SummaryTable } from "../components/run/SummaryTable";
import { useAsync } from "../hooks/useAsync";
import { useInterval, usePageVisible } from "../hooks/useDom";
import { POLL_MS } from "../hooks/useSeriesData";
import { useCurrentTheme } from "../hooks/useTheme";
import { colorFor } from "../lib/colors";
import { decodeChartState, encodeChartState, type ChartState } from "../lib/urlState";
import { Link, projectPath, useSearch, useSetSearch } from "../router";

const TABS = ["overview", "system", "logs", "files"] as const;
type Tab = (typeof TABS)[number];
const isSystem = (k: string) => k.startsWith("system/");
const notSystem = (k: string) => !k.startsWith("system/");

export function RunPage({ project, runId }: { project: string; runId: string }) {
  const search = useSearch();
  const setSearch = useSetSearch();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const chart = useMemo(() => decodeChartState(params), [params]);
  const tabParam = params.get("tab");
  const tab: Tab = (TABS as readonly string[]).includes(tabParam ?? "") ? (tabParam as Tab) : "overview";
  const theme = useCurrentTheme();
  const visible = usePageVisible();

  const runAsync = useAsync((s) => getRun(project, runId, s), [project, runId]);
  const metricsAsync = useAsync((s) => runMetrics(project, runId, s), [project, runId]);
  const [patched, setPatched] = useState<Run | null>(null);
  const run = patched && runAsync.data && patched.updated >= runAsync.data.updated ? patched : runAsync.data;
  const live = run?.state === "running" && visible;
  useInterval(() => {
    runAsync.reload();
    metricsAsync.reload();
  }, POLL_MS, live);

  const setParams = useCallback(
    (fn: (p: URLSearchParams) => void) => {
      const p = new URLSearchParams(window.location.search);
      fn(p);
      setSearch(p.toString());
    },
    [setSearch],
  );
  const onChartChange = useCallback(
    (patch: Partial<ChartState>) => setParams((p) => encodeChartState({ ...decodeChartState(p), ...patch }, p)),
    [setParams],
  );
  const save = useCallback(
    async (patch: RunPatch) => {
      const updated = await patchRun(project, runId, patch);
      setPatched(updated);
    },
    [project, runId],
  );

  const chartRuns: ChartRun[] = useMemo(
    () => (run ? [{ id: run.id, label: run.name || run.id, color: colorFor(run.id), start: run.created, running: run.state === "running" }] : []),
    // only identity-relevant fields
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [run?.id, run?.name, run?.created, run?.state],
  );

  if (runAsync.error && !run) {
    return (
      <main className="page">
        <ErrorMessage error={runAsync.error} onRetry={runAsync.reload} />
        <p>
          <Link to={projectPath(project)}>Back to {project}</Link>
        </p>
      </main>
    );
  }
  if (!run) return <main className="page"><Loading label="Loading the run…" /></main>;

  const metrics = metricsAsync.data?.metrics ?? [];
  const hasSystem = metrics.some((m) => isSystem(m.key));

  return (
    <main className="page run-page">
      <div className="page-head">
        <div className="run-title">
          <Swatch color={colorFor(run.id)} />
          <h1 data-testid="run-name">{run.name || run.id}</h1>
          <LiveIndicator active={!!live} />
        </div>
      </div>
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? "tab active" : "tab"}
            onClick={() => setParams((p) => (t === "overview" ? p.delete("tab") : p.set("tab", t)))}
          >
            {t === "overview" ? "Overview" : t === "system" ? "System" : t === "logs" ? "Logs" : "Files"}
          </button>
        ))}
      </nav>
      {tab === "overview" && (
        <>
          <div className="run-grid">
            <div className="run-col">
              <RunOverview run={run} now={Date.now() / 1000} />
              <div className="card">
                <h3>Tags</h3>
                <TagsEditor tags={run.tags} onSave={(tags) => save({ tags })} />
                <h3 className="mt">Notes</h3>
                <NotesEditor notes={run.notes} onSave={(notes) => save({ notes })} />
              </div>
            </div>
            <div className="run-col">
              <div className="card">
                <h3>Config</h3>
                <ConfigTree config={run.config} />
              </div>
              <div className="card">
                <h3>Summary</h3>
                <SummaryTable summary={run.summary} metrics={metrics} />
              </div>
            </div>
          </div>
          <h2 className="section-heading">Charts</h2>
          <PanelGrid
            project={project}
            runs={chartRuns}
            chart={chart}
            onChange={onChartChange}
            live={!!live}
            theme={theme}
            keyFilter={notSystem}
            slashFocus
          />
        </>
      )}
      {tab === "system" &&
        (hasSystem ? (
          <PanelGrid project={project} runs={chartRuns} chart={chart} onChange={onChartChange} live={!!live} theme={theme} keyFilter={isSystem} slashFocus />
        ) : (
          <EmptyState title="No system metrics captured yet">
            <p>
              GPU, CPU and memory usage will show here once they are logged under <code>system/…</code> keys.
            </p>
          </EmptyState>
        ))}
      {tab === "logs" && <LogsTab path={`${runPath(project, runId)}/logs`} />}
      {tab === "files" && <FilesTab path={`${runPath(project, runId)}/files`} />}
    </main>
  );
}
