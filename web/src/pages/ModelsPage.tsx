import { useEffect, useState } from "react";
import "../styles/registry.css";
import { listModels } from "../api/registry";
import { EmptyState, ErrorMessage, Loading } from "../components/common";
import { AliasChip, StageBadge } from "../components/registry/Chips";
import { useAsync } from "../hooks/useAsync";
import { useDebounced } from "../hooks/useDom";
import { useQueryParams } from "../hooks/useQueryParams";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { modelPath } from "../lib/registryPaths";
import { Link, navigate } from "../router";

/** Registered models: latest version, aliases, the Production version; search by name. */
export function ModelsPage() {
  const [params, setParams] = useQueryParams();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const query = useDebounced(text, 200);
  const { data, error, loading, reload } = useAsync((signal) => listModels(query, signal), [query]);
  const models = data?.models ?? [];
  const onText = (v: string) => {
    setText(v);
    setParams({ q: v });
  };

  return (
    <main className="page registry-page" data-testid="models-page">
      <div className="page-head">
        <div>
          <h1>Models</h1>
          <p className="muted">The model registry: named models, their versions, aliases and stages, shared by every project.</p>
        </div>
        <input
          type="search"
          className="input search"
          placeholder="Search models  ( / )"
          aria-label="Search models"
          data-testid="model-search"
          data-slash-focus
          value={text}
          onChange={(e) => onText(e.target.value)}
        />
      </div>
      {error ? <ErrorMessage error={error} onRetry={reload} /> : null}
      {loading && !data ? <Loading label="Loading models…" /> : null}
      {data && models.length === 0 && !query ? <NoModels /> : null}
      {data && models.length === 0 && query ? (
        <EmptyState title="No model matches">
          <p>
            No model name contains “{query}”.{" "}
            <button type="button" className="link-btn" onClick={() => onText("")}>
              Clear the search
            </button>
          </p>
        </EmptyState>
      ) : null}
      {models.length > 0 ? (
        <div className="card table-card">
          <table className="reg-table" data-testid="models-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Versions</th>
                <th>Latest</th>
                <th>Aliases</th>
                <th>Production</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => {
                const production = m.stages.Production ?? [];
                return (
                  <tr
                    key={m.name}
                    className="clickable"
                    data-testid="model-row"
                    data-model={m.name}
                    onClick={(e) => {
                      if ((e.target as HTMLElement).closest("a,button")) return;
                      navigate(modelPath(m.name));
                    }}
                  >
                    <td>
                      <Link to={modelPath(m.name)} className="entity-name">
                        {m.name}
                      </Link>
                      {m.description ? <div className="muted small clamp">{m.description}</div> : null}
                    </td>
                    <td className="num">{formatCount(m.version_count)}</td>
                    <td>
                      {m.latest_version !== null ? (
                        <Link to={modelPath(m.name, { version: m.latest_version })} className="mono">
                          v{m.latest_version}
                        </Link>
                      ) : (
                        <span className="muted">none</span>
                      )}
                    </td>
                    <td>
                      <span className="alias-list">
                        {Object.entries(m.aliases).map(([alias, v]) => (
                          <AliasChip key={alias} alias={alias} version={v} onClick={() => navigate(modelPath(m.name, { version: v }))} />
                        ))}
                      </span>
                    </td>
                    <td data-testid="production-version">
                      {production.length > 0 ? (
                        <span className="version-cell">
                          <StageBadge stage="Production" />
                          {production.map((v) => (
                            <Link key={v} to={modelPath(m.name, { version: v })} className="mono">
                              v{v}
                            </Link>
                          ))}
                        </span>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td title={formatDate(m.updated, true)}>{formatRelative(m.updated)}</td>
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

function NoModels() {
  return (
    <EmptyState title="No registered models yet">
      <p>Register what a run saved (or an artifact version) as the next version of a named model:</p>
      <pre className="code">
        {`import trailmark as tm

run = tm.init(project="fraud")
run.save("outputs/model")                      # saved as runs/RUN_ID/model/...
run.finish()

version = tm.register_model(f"runs/{run.id}/model", "fraud-detector")
# or from an artifact: tm.register_model("artifact:fraud-model:v3", "fraud-detector")
tm.models.set_alias("fraud-detector", "champion", version.version)
tm.models.promote("fraud-detector", version.version, "Production")`}
      </pre>
      <p className="muted">
        From the shell: <code>trailmark models ls</code>, <code>trailmark models promote NAME VERSION STAGE</code>.
      </p>
    </EmptyState>
  );
}
