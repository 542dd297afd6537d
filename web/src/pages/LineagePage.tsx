import type { ReactNode } from "react";
import "../styles/registry.css";
import { getLineage, listArtifacts, listModels, type LineageNode } from "../api/registry";
import { EnterInput } from "../components/EnterInput";
import { PageHead } from "../components/PageHead";
import { EmptyState, ErrorMessage, Loading, NotFoundOrError } from "../components/common";
import { LineageGraph, LineageLegend, nodeCaption } from "../components/registry/LineageGraph";
import { useAsync } from "../hooks/useAsync";
import { artifactNodeId, lineagePath, modelNodeId, nodePagePath, parseLineageView, type Direction, type LineageView } from "../lib/registryPaths";
import { Link, navigate, useSearch } from "../router";

const KIND_NAMES: Record<string, string> = { run: "run", artifact: "artifact version", model: "model version" };

/**
 * The lineage around one node (`?node=`): runs, artifact versions and model versions, `hops`
 * edges away, upstream, downstream or both. Clicking a node walks the graph to it.
 */
export function LineagePage({ project }: { project: string | null }) {
  const view = parseLineageView(useSearch());
  const go = (change: Partial<LineageView>, push = true) => {
    const next = { ...view, ...change };
    const theme = new URLSearchParams(window.location.search).get("theme");
    const path = lineagePath(project, next);
    navigate(theme ? `${path}${path.includes("?") ? "&" : "?"}theme=${theme}` : path, { replace: !push });
  };

  const { data, error, loading, reload } = useAsync(
    (signal) => (view.node ? getLineage(view.node, view.direction, view.hops, signal) : Promise.resolve(null)),
    [view.node, view.direction, view.hops],
  );
  const root = data?.nodes.find((n) => n.id === data.root) ?? null;

  return (
    <main className="page registry-page lineage-page" data-testid="lineage-page">
      <PageHead title="Lineage" intro="Which runs produced and used which artifact versions, and which model versions came of them." />
      <div className="lineage-controls">
        <EnterInput
          className="input node-input"
          data-testid="lineage-node-input"
          aria-label="Node"
          placeholder="run:ID, artifact:PROJECT/NAME:v3, model:NAME@champion"
          value={view.node}
          onEnter={(typed) => go({ node: typed.trim() })}
        />
        <label className="control">
          Direction
          <select
            className="input select"
            data-testid="lineage-direction"
            value={view.direction}
            onChange={(e) => go({ direction: e.target.value as Direction }, false)}
          >
            <option value="both">both ways</option>
            <option value="upstream">upstream (where it came from)</option>
            <option value="downstream">downstream (what came of it)</option>
          </select>
        </label>
        <label className="control">
          Hops
          <select className="input select" data-testid="lineage-hops" value={view.hops} onChange={(e) => go({ hops: Number(e.target.value) }, false)}>
            {[1, 2, 3, 4].map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </select>
        </label>
      </div>

      {!view.node ? <StartingPoints project={project} onPick={(node) => go({ node })} /> : null}
      {error ? (
        <NotFoundOrError error={error} onRetry={reload} title="Nothing by that name">
          <p>
            <code>{view.node}</code> does not exist (any more). Node names look like <code>run:a1b2c3d4</code>,{" "}
            <code>artifact:vision/train-data:v3</code> or <code>model:classifier@champion</code>.
          </p>
        </NotFoundOrError>
      ) : null}
      {loading && view.node && !data ? <Loading label="Tracing the lineage…" /> : null}
      {data ? (
        <>
          {data.truncated ? (
            <p className="warning small">The graph was cut at 2,000 nodes; lower the hops or pick a direction to see all of a part.</p>
          ) : null}
          <div className="lineage-layout">
            <div className="card lineage-card">
              <LineageLegend />
              {data.edges.length === 0 ? (
                <p className="muted small">
                  Nothing is connected to this {KIND_NAMES[root?.kind ?? "run"]} {view.direction === "both" ? "" : `${view.direction} `}yet.
                </p>
              ) : null}
              <LineageGraph graph={data} onSelect={(id) => id !== data.root && go({ node: id })} />
            </div>
            {root ? <NodeDetails node={root} /> : null}
          </div>
        </>
      ) : null}
    </main>
  );
}

function NodeDetails({ node }: { node: LineageNode }) {
  const page = nodePagePath(node);
  return (
    <aside className="card lineage-details" data-testid="lineage-details" data-node-id={node.id}>
      <div className="label-row">Centre · {KIND_NAMES[node.kind] ?? node.kind}</div>
      <h2 className="section-title-lg break">{node.label}</h2>
      <p className="muted small">{nodeCaption(node)}</p>
      <p className="mono small break">{node.id}</p>
      {node.kind !== "run" && node.description ? <p className="entity-description">{node.description}</p> : null}
      {page ? (
        <Link to={page} className="btn small" data-testid="lineage-open-link">
          Open the {KIND_NAMES[node.kind] ?? node.kind} page
        </Link>
      ) : null}
    </aside>
  );
}

function StartChip({ onPick, children }: { onPick: () => void; children: ReactNode }) {
  return (
    <button type="button" className="chip chip-btn start-chip" data-testid="lineage-start" onClick={onPick}>
      {children}
    </button>
  );
}

/** With no node chosen: recent artifact versions of the project and registered models to start from. */
function StartingPoints({ project, onPick }: { project: string | null; onPick: (node: string) => void }) {
  const { data, error } = useAsync(
    async (signal) => {
      const [artifacts, models] = await Promise.all([
        project ? listArtifacts(project, signal).then((r) => r.artifacts) : Promise.resolve([]),
        listModels("", signal).then((r) => r.models),
      ]);
      return { artifacts, models };
    },
    [project],
  );
  const artifacts = (data?.artifacts ?? []).filter((a) => a.latest).slice(0, 12);
  const models = (data?.models ?? []).filter((m) => m.latest_version !== null).slice(0, 12);
  return (
    <EmptyState title="Pick something to trace">
      <p>
        Lineage starts from a run, an artifact version or a model version. Open it from the <strong>Lineage</strong> button of an
        artifact or model version, type a node name above, or start here:
      </p>
      {error ? <ErrorMessage error={error} compact /> : null}
      {artifacts.length + models.length > 0 ? (
        <div className="start-points">
          {artifacts.map((a) => (
            <StartChip key={a.name} onPick={() => onPick(artifactNodeId(a.project, a.name, a.latest?.version ?? 0))}>
              {a.name}:v{a.latest?.version}
            </StartChip>
          ))}
          {models.map((m) => (
            <StartChip key={m.name} onPick={() => onPick(modelNodeId(m.name, m.latest_version ?? 1))}>
              model {m.name} v{m.latest_version}
            </StartChip>
          ))}
        </div>
      ) : data ? (
        <p className="muted">
          There are no artifacts{project ? ` in ${project}` : ""} or registered models yet. Lineage appears when runs log artifacts (
          <code>run.log_artifact</code>), use them (<code>run.use_artifact</code>) and register models (<code>tm.register_model</code>).
        </p>
      ) : null}
      {project ? null : (
        <p className="muted small">
          Looking for a project's runs? <Link to="/">Open the projects</Link>.
        </p>
      )}
    </EmptyState>
  );
}
