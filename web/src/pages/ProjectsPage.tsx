import { useState } from "react";
import { listProjects } from "../api/endpoints";
import { ClickableRow, DataTable, type Column } from "../components/DataTable";
import { PageHead, SearchBox } from "../components/PageHead";
import { EmptyState, ErrorMessage, Loading, NoMatches } from "../components/common";
import { useAsync } from "../hooks/useAsync";
import { useDebounced } from "../hooks/useDom";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { Link, navigate, projectPath, useSearch, useSetSearch } from "../router";

const COLUMNS: Column[] = ["Name", { label: "Runs", num: true }, "Last activity", "Created"];

export function ProjectsPage() {
  const search = useSearch();
  const setSearch = useSetSearch();
  const initial = new URLSearchParams(search).get("search") ?? "";
  const [text, setText] = useState(initial);
  const query = useDebounced(text, 200);
  const { data, error, loading, reload } = useAsync((signal) => listProjects(query, signal), [query]);

  const onChange = (v: string) => {
    setText(v);
    const p = new URLSearchParams(window.location.search);
    if (v) p.set("search", v);
    else p.delete("search");
    setSearch(p.toString());
  };

  const projects = data?.projects ?? [];
  const noProjectsAtAll = !loading && !error && projects.length === 0 && !query;

  return (
    <main className="page projects-page">
      <PageHead title="Projects" intro="Every project on this server, most recently active first.">
        <SearchBox noun="projects" testId="project-search" value={text} onChange={onChange} />
      </PageHead>
      {error ? <ErrorMessage error={error} onRetry={reload} /> : null}
      {loading && !data ? <Loading label="Loading projects…" /> : null}
      {noProjectsAtAll ? <GettingStarted /> : null}
      {!loading && !error && projects.length === 0 && query ? (
        <NoMatches title="No project matches" clearLabel="Clear the search" onClear={() => onChange("")}>
          Nothing is named like “{query}”.
        </NoMatches>
      ) : null}
      {projects.length > 0 && (
        <div className="card table-card">
          <DataTable className="projects-table" columns={COLUMNS}>
            {projects.map((p) => (
              <ClickableRow key={p.name} onActivate={() => navigate(projectPath(p.name))} data-testid="project-row" data-project={p.name}>
                <td>
                  <Link to={projectPath(p.name)} className="project-name">
                    {p.name}
                  </Link>
                  {p.description && <div className="muted small">{p.description}</div>}
                </td>
                <td className="num">{formatCount(p.run_count)}</td>
                <td title={formatDate(p.last_activity, true)}>{formatRelative(p.last_activity) || "—"}</td>
                <td className="muted" title={formatDate(p.created, true)}>
                  {formatDate(p.created)}
                </td>
              </ClickableRow>
            ))}
          </DataTable>
        </div>
      )}
    </main>
  );
}

function GettingStarted() {
  return (
    <EmptyState
      title="No projects yet"
      icon={
        <svg viewBox="0 0 48 48" width="48" height="48" aria-hidden="true">
          <path d="M6 38 L18 24 L27 31 L42 12" stroke="currentColor" strokeWidth="3.5" fill="none" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      }
    >
      <p>Log your first run from any training script. Install the package:</p>
      <pre className="code">pip install trailmark</pre>
      <p>then add three lines to your training loop:</p>
      <pre className="code">
        {`import trailmark as tm

run = tm.init(project="mnist", config={"lr": 3e-4})
for step in range(1000):
    run.log({"train/loss": loss})   # inside your loop
run.finish()`}
      </pre>
      <p className="muted">
        Runs write to <code>~/.trailmark</code> by default; point <code>TRAILMARK_URL</code> at this server to send them here. The project
        appears on this page as soon as its first run logs. No data yet? <code>trailmark demo</code> logs a demo project.
      </p>
    </EmptyState>
  );
}
