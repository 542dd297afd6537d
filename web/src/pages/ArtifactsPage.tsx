import { useEffect, useState } from "react";
import "../styles/registry.css";
import { isNotFound } from "../api/client";
import { listArtifacts, type Artifact } from "../api/registry";
import { EmptyState, ErrorMessage, Loading } from "../components/common";
import { AliasList, TypeChip } from "../components/registry/Chips";
import { useAsync } from "../hooks/useAsync";
import { useQueryParams } from "../hooks/useQueryParams";
import { formatBytes } from "../lib/files";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { artifactPath, projectBase } from "../lib/registryPaths";
import { Link, navigate } from "../router";

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
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const { data, error, loading, reload } = useAsync((signal) => listArtifacts(project, signal), [project]);

  const all = data?.artifacts ?? [];
  const types = [...new Set(all.map((a) => a.type))].sort();
  const shown = all.filter((a) => (!type || a.type === type) && matches(a, text));
  const onText = (v: string) => {
    setText(v);
    setParams({ q: v });
  };

  return (
    <main className="page registry-page" data-testid="artifacts-page">
      <div className="page-head">
        <div>
          <h1>Artifacts</h1>
          <p className="muted">
            Versioned datasets, models and other files logged by the runs of <Link to={projectBase(project)}>{project}</Link>.
          </p>
        </div>
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
            <input
              type="search"
              className="input search"
              placeholder="Search artifacts  ( / )"
              aria-label="Search artifacts"
              data-testid="artifact-search"
              data-slash-focus
              value={text}
              onChange={(e) => onText(e.target.value)}
            />
          </div>
        ) : null}
      </div>
      {error ? isNotFound(error) ? <NoProject project={project} /> : <ErrorMessage error={error} onRetry={reload} /> : null}
      {loading && !data ? <Loading label="Loading artifacts…" /> : null}
      {data && all.length === 0 ? <NoArtifacts project={project} /> : null}
      {data && all.length > 0 && shown.length === 0 ? (
        <EmptyState title="No artifact matches">
          <p>
            Nothing {type ? <>of type <code>{type}</code> </> : null}
            {text ? <>is named like “{text}”</> : null}.{" "}
            <button type="button" className="link-btn" onClick={() => {
                setText("");
                setParams({ q: null, type: null });
              }}>
              Clear the filters
            </button>
          </p>
        </EmptyState>
      ) : null}
      {shown.length > 0 ? (
        <div className="card table-card">
          <table className="reg-table" data-testid="artifacts-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th className="num">Versions</th>
                <th>Newest version</th>
                <th className="num">Size</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => {
                const href = artifactPath(project, a.name);
                return (
                  <tr
                    key={a.name}
                    className="clickable"
                    data-testid="artifact-row"
                    data-artifact={a.name}
                    data-type={a.type}
                    onClick={(e) => {
                      if ((e.target as HTMLElement).closest("a,button")) return;
                      navigate(href);
                    }}
                  >
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
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </main>
  );
}

function NoProject({ project }: { project: string }) {
  return (
    <EmptyState title="No such project">
      <p>
        There is no project named <code>{project}</code> on this server. <Link to="/">See the projects</Link>.
      </p>
    </EmptyState>
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
