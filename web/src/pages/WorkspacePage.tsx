/** The project workspace: the runs table beside the chart panels, all state in the URL. */
import { useCallback, useMemo, useState } from "react";
import { ApiError } from "../api/client";
import { columnsFromRuns, fetchColumns, searchRuns } from "../api/endpoints";
import type { Columns, Run } from "../api/types";
import type { ChartGroup, ChartRun } from "../components/charts/PanelGrid";
import { PanelGrid } from "../components/charts/PanelGrid";
import { EmptyState, ErrorMessage, LiveIndicator, Loading } from "../components/common";
import { ColumnPicker } from "../components/runs/ColumnPicker";
import type { RowActions, RunRow } from "../components/runs/columns";
import { FilterInput } from "../components/runs/FilterInput";
import { RunsTable } from "../components/runs/RunsTable";
import { useAsync } from "../hooks/useAsync";
import { useInterval, usePageVisible } from "../hooks/useDom";
import { POLL_MS } from "../hooks/useSeriesData";
import { useRunsList } from "../hooks/useRunsList";
import { useWorkspaceState } from "../hooks/useWorkspaceState";
import { colorFor } from "../lib/colors";
import { formatCount } from "../lib/format";
import { GROUP_FIELDS, groupRuns, toggleVisibility, visibleRunIds } from "../lib/grouping";
import { DEFAULT_ORDER, DEFAULT_TOP, type ChartState } from "../lib/urlState";
import { comparePath, Link, navigate } from "../router";
import { useCurrentTheme } from "../hooks/useTheme";

const MAX_CHART_RUNS = 100;

export function WorkspacePage({ project }: { project: string }) {
  const [state, update] = useWorkspaceState();
  const theme = useCurrentTheme();
  const pageVisible = usePageVisible();
  const list = useRunsList(project, state.filter, state.order || DEFAULT_ORDER, !!state.group);
  const [collapsedGroups, setCollapsedGroups] = useState<Set<string>>(new Set());

  const filterError = list.error instanceof ApiError && list.error.status === 400 ? list.error.message : null;
  const otherError = list.error && !filterError ? list.error : null;

  // Column catalog (for the picker, group-by and filter autocomplete).
  const haveRuns = list.loaded.length > 0;
  const columnsAsync = useAsync((signal) => fetchColumns(project, list.loaded, signal), [project, haveRuns]);
  const catalog: Columns = columnsAsync.data ?? columnsFromRuns(list.loaded);

  // Groups and the order rows are shown in.
  const groups = useMemo(() => (state.group ? groupRuns(list.loaded, state.group) : null), [list.loaded, state.group]);
  const rows: RunRow[] = useMemo(() => {
    if (groups) return groups.flatMap((g) => g.runs);
    const n = list.total ?? 0;
    return Array.from({ length: n }, (_, i) => list.get(i) ?? null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [groups, list.total, list.version]);

  // Which runs the charts draw.
  const orderedIds = useMemo(() => list.loaded.map((r) => r.id), [list.loaded]);
  const visibleIds = useMemo(
    () =>
      visibleRunIds({
        ordered: groups ? groups.flatMap((g) => g.runs.map((r) => r.id)) : orderedIds,
        top: state.top,
        shown: state.shown,
        hidden: state.hidden,
        grouped: !!groups,
        max: MAX_CHART_RUNS,
      }),
    [orderedIds, groups, state.top, state.shown, state.hidden],
  );
  const defaultIds = useMemo(() => new Set(groups ? orderedIds : orderedIds.slice(0, state.top)), [groups, orderedIds, state.top]);
  const visibleSet = useMemo(() => new Set(visibleIds), [visibleIds]);

  // Shown runs that aren't loaded (deep links): fetch them by id.
  const byId = useMemo(() => new Map(list.loaded.map((r) => [r.id, r])), [list.loaded]);
  const missing = visibleIds.filter((id) => !byId.has(id));
  const extra = useAsync(
    (signal) =>
      missing.length
        ? searchRuns(project, { filter: `id in (${missing.map((id) => JSON.stringify(id)).join(", ")})`, limit: missing.length }, signal)
        : Promise.resolve({ runs: [] as Run[], total: 0, next_offset: null }),
    [project, missing.join(",")],
  );
  const runById = useCallback((id: string) => byId.get(id) ?? extra.data?.runs.find((r) => r.id === id), [byId, extra.data]);

  const chartRuns: ChartRun[] = useMemo(
    () =>
      visibleIds.flatMap((id) => {
        const r = runById(id);
        return r ? [{ id, label: r.name || r.id, color: colorFor(id), start: r.created, running: r.state === "running" }] : [];
      }),
    [visibleIds, runById],
  );
  const chartGroups: ChartGroup[] | null = useMemo(
    () =>
      groups
        ? groups
            .map((g) => ({ id: g.id, label: g.label, color: colorFor(g.id), runIds: g.runs.map((r) => r.id).filter((id) => visibleSet.has(id)) }))
            .filter((g) => g.runIds.length > 0)
        : null,
    [groups, visibleSet],
  );

  const anyRunning = list.loaded.some((r) => r.state === "running") || chartRuns.some((r) => r.running);
  const live = anyRunning && pageVisible;
  useInterval(() => void list.refresh(), POLL_MS, live);

  // "now" for the runtimes of running runs, ticking while something runs.
  const [now, setNow] = useState(() => Date.now() / 1000);
  useInterval(() => setNow(Date.now() / 1000), 5000, live);

  // Selection and visibility actions.
  const selected = state.selected;
  const actions: RowActions = useMemo(
    () => ({
      project,
      now,
      isVisible: (id) => visibleSet.has(id),
      isSelected: (id) => selected.includes(id),
      toggleVisible: (run) => update(toggleVisibility(run.id, defaultIds.has(run.id), visibleSet.has(run.id), state.shown, state.hidden)),
      toggleSelected: (run) =>
        update({ selected: selected.includes(run.id) ? selected.filter((s) => s !== run.id) : [...selected, run.id] }),
    }),
    [project, now, visibleSet, selected, defaultIds, state.shown, state.hidden, update],
  );

  const onChartChange = useCallback((patch: Partial<ChartState>) => update(patch), [update]);
  const onRange = useCallback((a: number, b: number) => list.ensure(a, b), [list]);
  const onOrder = useCallback((order: string) => update({ order: order === DEFAULT_ORDER ? "" : order }), [update]);
  const onApplyFilter = useCallback((filter: string) => update({ filter }), [update]);

  const toggleAll = {
    anyVisible: visibleIds.length > 0,
    toggle: () =>
      visibleIds.length > 0
        ? update({ top: 0, shown: [], hidden: groups ? orderedIds.slice(0, 1000) : [] })
        : update({ top: DEFAULT_TOP, shown: [], hidden: [] }),
  };
  const onToggleGroupVisible = (g: { runs: Run[] }) => {
    const ids = g.runs.map((r) => r.id);
    const anyVisible = ids.some((id) => visibleSet.has(id));
    update({
      hidden: anyVisible ? [...new Set([...state.hidden, ...ids])] : state.hidden.filter((id) => !ids.includes(id)),
    });
  };

  const canCompare = selected.length >= 2 && selected.length <= 20;
  if (list.error instanceof ApiError && list.error.status === 404) {
    return (
      <main className="page">
        <ErrorMessage error={list.error} onRetry={list.retry} />
        <p>
          <Link to="/">See every project</Link>
        </p>
      </main>
    );
  }
  const projectEmpty = !list.loading && !list.error && list.total === 0 && !state.filter;

  return (
    <main className="workspace">
      <div className="ws-head">
        <div className="ws-title">
          <h1>{project}</h1>
          <span className="muted">
            {list.total === null ? "" : `${formatCount(list.total)} run${list.total === 1 ? "" : "s"}${state.filter ? " match" : ""}`}
          </span>
          <LiveIndicator active={live} />
        </div>
        <div className="ws-actions">
          {selected.length > 0 && (
            <>
              <span className="muted small">{selected.length} selected</span>
              <button type="button" className="link-btn small" onClick={() => update({ selected: [] })}>
                Clear
              </button>
            </>
          )}
          <button
            type="button"
            className="btn primary"
            data-testid="compare-button"
            disabled={!canCompare}
            title={canCompare ? "Compare the selected runs" : "Select 2 to 20 runs with their checkboxes to compare them"}
            onClick={() => navigate(comparePath(project, selected))}
          >
            Compare{selected.length ? ` ${selected.length}` : ""}
          </button>
        </div>
      </div>
      {projectEmpty ? (
        <EmptyState title="This project has no runs">
          <p>Log one with:</p>
          <pre className="code">{`import trailmark as tm\nrun = tm.init(project=${JSON.stringify(project)})\nrun.log({"train/loss": 0.5})\nrun.finish()`}</pre>
        </EmptyState>
      ) : (
        <div className="ws-body">
          <aside className="runs-pane">
            <div className="runs-toolbar">
              <FilterInput value={state.filter} onApply={onApplyFilter} error={filterError} catalog={catalog} />
              <div className="toolbar-row">
                <label className="control">
                  <span>Group</span>
                  <select
                    className="input select"
                    data-testid="group-by"
                    value={state.group}
                    onChange={(e) => update({ group: e.target.value })}
                  >
                    <option value="">None</option>
                    {GROUP_FIELDS.map((f) => (
                      <option key={f} value={f}>
                        {f}
                      </option>
                    ))}
                    {catalog.config.map((k) => (
                      <option key={k} value={`config.${k}`}>
                        config.{k}
                      </option>
                    ))}
                  </select>
                </label>
                <ColumnPicker catalog={catalog} selected={state.columns} onChange={(columns) => update({ columns })} />
                <span className="muted small grow right">
                  {visibleIds.length} in charts{visibleIds.length >= MAX_CHART_RUNS ? " (max)" : ""}
                </span>
              </div>
            </div>
            {otherError ? <ErrorMessage error={otherError} onRetry={list.retry} /> : null}
            {filterError && !list.loaded.length ? (
              <EmptyState title="The filter needs fixing">
                <p>The server explains what is wrong right under the filter box.</p>
              </EmptyState>
            ) : list.loading && list.total === null ? (
              <Loading label="Loading runs…" />
            ) : list.total === 0 && state.filter && !filterError ? (
              <EmptyState title="No run matches the filter">
                <p>
                  <button type="button" className="link-btn" onClick={() => update({ filter: "" })}>
                    Clear the filter
                  </button>
                </p>
              </EmptyState>
            ) : (
              <RunsTable
                rows={rows}
                groups={groups}
                collapsedGroups={collapsedGroups}
                onToggleGroup={(id) =>
                  setCollapsedGroups((s) => {
                    const n = new Set(s);
                    if (n.has(id)) n.delete(id);
                    else n.add(id);
                    return n;
                  })
                }
                onToggleGroupVisible={onToggleGroupVisible}
                extraColumns={state.columns}
                order={state.order}
                onOrder={onOrder}
                actions={actions}
                onRange={onRange}
                allVisibleToggle={toggleAll}
              />
            )}
          </aside>
          <section className="charts-pane">
            <PanelGrid
              project={project}
              runs={chartRuns}
              groups={chartGroups}
              chart={state}
              onChange={onChartChange}
              live={live}
              theme={theme}
            />
          </section>
        </div>
      )}
    </main>
  );
}
