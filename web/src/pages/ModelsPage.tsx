import "../styles/registry.css";
import { listModels } from "../api/registry";
import { ClickableRow, DataTable, type Column } from "../components/DataTable";
import { PageHead, SearchBox } from "../components/PageHead";
import { EmptyState, ErrorMessage, Loading, NoMatches } from "../components/common";
import { AliasChip, StageBadge } from "../components/registry/Chips";
import { useAsync } from "../hooks/useAsync";
import { useDebounced } from "../hooks/useDom";
import { useQueryText } from "../hooks/useQueryParams";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { modelPath } from "../lib/registryPaths";
import { Link, navigate } from "../router";

const COLUMNS: Column[] = ["Name", { label: "Versions", num: true }, "Latest", "Aliases", "Production", "Updated"];

/** Registered models: latest version, aliases, the Production version; search by name. */
export function ModelsPage() {
  const [text, setText] = useQueryText("q");
  const query = useDebounced(text, 200);
  const { data, error, loading, reload } = useAsync((signal) => listModels(query, signal), [query]);
  const models = data?.models ?? [];

  return (
    <main className="page registry-page" data-testid="models-page">
      <PageHead title="Models" intro="The model registry: named models, their versions, aliases and stages, shared by every project.">
        <SearchBox noun="models" testId="model-search" value={text} onChange={setText} />
      </PageHead>
      {error ? <ErrorMessage error={error} onRetry={reload} /> : null}
      {loading && !data ? <Loading label="Loading models…" /> : null}
      {data && models.length === 0 && !query ? <NoModels /> : null}
      {data && models.length === 0 && query ? (
        <NoMatches title="No model matches" clearLabel="Clear the search" onClear={() => setText("")}>
          No model name contains “{query}”.
        </NoMatches>
      ) : null}
      {models.length > 0 ? (
        <div className="card table-card">
          <DataTable className="reg-table" testId="models-table" columns={COLUMNS}>
            {models.map((m) => {
              const production = m.stages.Production ?? [];
              return (
                <ClickableRow key={m.name} onActivate={() => navigate(modelPath(m.name))} data-testid="model-row" data-model={m.name}>
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
                </ClickableRow>
              );
            })}
          </DataTable>
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
