/** One run: overview, config, summary, editable tags and notes, its charts; system, logs, files tabs. */
import { useCallback, useMemo, useState } from "react";
import { getRun, patchRun, runMetrics, runPath } from "../api/endpoints";
import type { Run, RunPatch } from "../api/types";
import { PanelGrid, type ChartRun } from "../components/charts/PanelGrid";
import { EmptyState, ErrorMessage, LiveIndicator, Loading, Swatch } from "../components/common";
import { ConfigTree } from "../components/run/ConfigTree";
import { NotesEditor, TagsEditor } from "../components/run/Editors";
import { ReadOnlyNotes, ReadOnlyTags } from "../components/accounts/ReadOnlyRunFields";
import { useAccess } from "../components/accounts/useAccess";
import { writeReason } from "../lib/access";
import { CodeCard } from "../components/run/CodeCard";
import { DiffView } from "../components/run/DiffView";
import { EnvironmentCard } from "../components/run/EnvironmentCard";
import { LogViewer } from "../components/run/LogViewer";
import { FilesTab } from "../components/run/OptionalTab";
import { RunOverview } from "../components/run/RunOverview";
import { SummaryTable } from "../components/run/SummaryTable";
import { SystemCharts } from "../components/run/SystemCharts";
import { useAsync } from "../hooks/useAsync";
import { useInterval, usePageVisible } from "../hooks/useDom";
import { POLL_MS } from "../hooks/useSeriesData";
import { useCurrentTheme } from "../hooks/useTheme";
import { colorFor } from "../lib/colors";
import { decodeLogView, encodeLogView, type LogViewState } from "../lib/logView";
import { readCode, readEnvironment } from "../lib/runMetadata";
import { SYSTEM_X_MODES, decodeChartState, encodeChartState, type ChartState, type XAxis } from "../lib/urlState";
import { Link, projectPath, useSearch, useSetSearch } from "../router";

const TABS = ["overview", "system", "logs", "files"] as const;
type Tab = (typeof TABS)[number];
const isSystem = (k: string) => k.startsWith("system/");
const notSystem = (k: string) => !k.startsWith("system/");
/** System series are charted against elapsed time unless the URL says otherwise. */
const chartDefaults = (tab: Tab): [XAxis, readonly XAxis[] | undefined] => (tab === "system" ? ["elapsed", SYSTEM_X_MODES] : ["step", undefined]);

export function RunPage({ project, runId }: { project: string; runId: string }) {
  const search = useSearch();
  const setSearch = useSetSearch();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const tabParam = params.get("tab");
  const tab: Tab = (TABS as readonly string[]).includes(tabParam ?? "") ? (tabParam as Tab) : "overview";
  const chart = useMemo(() => decodeChartState(params, ...chartDefaults(tab)), [params, tab]);
  const logView = useMemo(() => decodeLogView(params), [params]);
  const theme = useCurrentTheme();
  const visible = usePageVisible();
  const cannotEdit = writeReason(useAccess("project", project), "project", project);

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
    (patch: Partial<ChartState>) =>
      setParams((p) => {
        const [xDefault, xModes] = chartDefaults(tab);
        encodeChartState({ ...decodeChartState(p, xDefault, xModes), ...patch }, p, xDefault);
      }),
    [setParams, tab],
  );
  const onLogViewChange = useCallback(
    (patch: Partial<LogViewState>) => setParams((p) => encodeLogView({ ...decodeLogView(p), ...patch }, p)),
    [setParams],
  );
  const code = useMemo(() => readCode(run?.metadata), [run?.metadata]);
  const environment = useMemo(() => readEnvironment(run?.metadata, run?.host ?? null), [run?.metadata, run?.host]);
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
            data-testid={`tab-${t}`}
            onClick={() =>
              setParams((p) => {
                if (t === "overview") p.delete("tab");
                else p.set("tab", t);
                p.delete("zoom"); // a step range of one tab means nothing on the other (system steps are ms)
              })
            }
          >
            {t === "overview" ? "Overview" : t === "system" ? "System" : t === "logs" ? "Logs" : "Files"}
          </button>
        ))}
      </nav>
      {tab === "overview" && (
        <>
          <div className="run-grid">
            <div className="run-col">
              {/* eslint-disable-next-line react-hooks/purity -- the elapsed time is read at each render on purpose */}
              <RunOverview run={run} now={Date.now() / 1000} />
              <div className="card">
                <h3>Tags</h3>
                {cannotEdit ? <ReadOnlyTags tags={run.tags} /> : <TagsEditor tags={run.tags} onSave={(tags) => save({ tags })} />}
                <h3 className="mt">Notes</h3>
                {cannotEdit ? <ReadOnlyNotes notes={run.notes} reason={cannotEdit} /> : <NotesEditor notes={run.notes} onSave={(notes) => save({ notes })} />}
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
          <h2 className="section-heading">Code and environment</h2>
          <div className="capture-grid">
            <CodeCard code={code} />
            <EnvironmentCard env={environment} />
          </div>
          {code?.diff && <DiffView diff={code.diff} cut={code.diffCut} />}
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
        (hasSystem && chartRuns[0] ? (
          <SystemCharts project={project} run={chartRuns[0]} chart={chart} onChange={onChartChange} live={!!live} theme={theme} />
        ) : metricsAsync.loading && !metricsAsync.data ? (
          <Loading label="Loading system metrics…" />
        ) : (
          <EmptyState title="No system metrics captured">
            <p>
              The SDK samples CPU, memory, disk, network and GPU usage (every 10 seconds by default) while a run is live, as{" "}
              <code>system/…</code> series. It was off if the run was started with <code>TRAILMARK_SYSTEM_INTERVAL=0</code> or{" "}
              <code>init(system_interval=0)</code>; system metrics also need <code>psutil</code> (and <code>nvidia-ml-py</code> for GPUs).
            </p>
          </EmptyState>
        ))}
      {tab === "logs" && <LogViewer project={project} run={run} live={!!live} view={logView} onViewChange={onLogViewChange} />}
      {tab === "files" && <FilesTab path={`${runPath(project, runId)}/files`} />}
    </main>
  );
}
