import "../styles/registry.css";
import { listArtifacts, type Artifact } from "../api/registry";
import { ClickableRow, DataTable, type Column } from "../components/DataTable";
import { PageHead, SearchBox } from "../components/PageHead";
import { EmptyState, Loading, NoMatches, NotFoundOrError } from "../components/common";
import { AliasList, TypeChip } from "../components/registry/Chips";
import { useAsync } from "../hooks/useAsync";
import { useQueryParams, useQueryText } from "../hooks/useQueryParams";
import { formatBytes } from "../lib/files";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { artifactPath, projectBase } from "../lib/registryPaths";
import { Link, navigate } from "../router";

const COLUMNS: Column[] = ["Name", "Type", { label: "Versions", num: true }, "Newest version", { label: "Size", num: true }, "Updated"];

function matches(a: Artifact, text: string): boolean {
  if (!text) return true;
  const t = text.toLowerCase();
  return a.name.toLowerCase().includes(t) || describe(a).toLowerCase().includes(t) || a.type.toLowerCase().includes(t);
}

/** The artifact's description, else its newest version's. */
function describe(a: Artifact): string {
  return a.description || a.latest?.description || "";
}

/** The artifacts of a project: name, type, versions, the newest version; filter by type, search. */
export function ArtifactsPage({ project }: { project: string }) {
  const [params, setParams] = useQueryParams();
  const type = params.get("type") ?? "";
  const [text, setText] = useQueryText("q");
  const { data, error, loading, reload } = useAsync((signal) => listArtifacts(project, signal), [project]);

  const all = data?.artifacts ?? [];
  const types = [...new Set(all.map((a) => a.type))].sort();
  const shown = all.filter((a) => (!type || a.type === type) && matches(a, text));

  return (
    <main className="page registry-page" data-testid="artifacts-page">
      <PageHead
        title="Artifacts"
        intro={
          <>
            Versioned datasets, models and other files logged by the runs of <Link to={projectBase(project)}>{project}</Link>.
          </>
        }
      >
        {all.length > 0 ? (
          <div className="toolbar-row">
            <select
              className="input select"
              data-testid="artifact-type-filter"
              aria-label="Artifact type"
              value={type}
              onChange={(e) => setParams({ type: e.target.value })}
            >
              <option value="">All types ({formatCount(all.length)})</option>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t} ({formatCount(all.filter((a) => a.type === t).length)})
                </option>
              ))}
            </select>
            <SearchBox noun="artifacts" testId="artifact-search" value={text} onChange={setText} />
          </div>
        ) : null}
      </PageHead>
      {error ? (
        <NotFoundOrError error={error} onRetry={reload} title="No such project">
          <p>
            There is no project named <code>{project}</code> on this server. <Link to="/">See the projects</Link>.
          </p>
        </NotFoundOrError>
      ) : null}
      {loading && !data ? <Loading label="Loading artifacts…" /> : null}
      {data && all.length === 0 ? <NoArtifacts project={project} /> : null}
      {data && all.length > 0 && shown.length === 0 ? (
        <NoMatches
          title="No artifact matches"
          clearLabel="Clear the filters"
          onClear={() => {
            setText("");
            setParams({ type: null });
          }}
        >
          Nothing {type ? <>of type <code>{type}</code> </> : null}
          {text ? <>is named like “{text}”</> : null}.
        </NoMatches>
      ) : null}
      {shown.length > 0 ? (
        <div className="card table-card">
          <DataTable className="reg-table" testId="artifacts-table" columns={COLUMNS}>
            {shown.map((a) => {
              const href = artifactPath(project, a.name);
              return (
                <ClickableRow key={a.name} onActivate={() => navigate(href)} data-testid="artifact-row" data-artifact={a.name} data-type={a.type}>
                  <td>
                    <Link to={href} className="entity-name">
                      {a.name}
                    </Link>
                    {describe(a) ? <div className="muted small clamp">{describe(a)}</div> : null}
                  </td>
                  <td>
                    <TypeChip type={a.type} />
                  </td>
                  <td className="num">{formatCount(a.version_count)}</td>
                  <td>
                    {a.latest ? (
                      <span className="version-cell">
                        <Link to={artifactPath(project, a.name, { version: a.latest.version })} className="mono">
                          v{a.latest.version}
                        </Link>
                        <AliasList aliases={a.latest.aliases} />
                      </span>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td className="num">{a.latest ? formatBytes(a.latest.size) : ""}</td>
                  <td title={formatDate(a.updated, true)}>{formatRelative(a.updated)}</td>
                </ClickableRow>
              );
            })}
          </DataTable>
        </div>
      ) : null}
    </main>
  );
}

export function NoArtifacts({ project }: { project: string }) {
  return (
    <EmptyState title="No artifacts yet">
      <p>
        An artifact is a named, versioned set of files: a dataset, a model, an evaluation. Log one from a run in{" "}
        <code>{project}</code>:
      </p>
      <pre className="code">
        {`import trailmark as tm

run = tm.init(project=${JSON.stringify(project)})
art = tm.Artifact("train-data", type="dataset", metadata={"rows": 50_000})
art.add_dir("data/train")            # hashed now, uploaded in the background
run.log_artifact(art, aliases=["best"])
run.finish()`}
      </pre>
      <p className="muted">
        Logging the same files again gives the same version back; changed files make v1, v2, … Another run records that it used
        a version with <code>run.use_artifact("train-data:best")</code>, which draws the lineage.
      </p>
    </EmptyState>
  );
}
