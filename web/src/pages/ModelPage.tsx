import { useState } from "react";
import "../styles/registry.css";
import { isNotFound } from "../api/client";
import { getModel, getModelVersion, listModelVersions, modelEvents, modelFiles, type ModelVersion } from "../api/registry";
import { EmptyState, ErrorMessage, Loading } from "../components/common";
import { AliasChip, AliasList, Digest, StageBadge } from "../components/registry/Chips";
import { EventTimeline } from "../components/registry/EventTimeline";
import { ModelActions } from "../components/registry/ModelActions";
import { RunSummary } from "../components/registry/RunSummary";
import { VersionFiles } from "../components/registry/VersionFiles";
import { useAsync } from "../hooks/useAsync";
import { useQueryParams } from "../hooks/useQueryParams";
import { formatBytes } from "../lib/files";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { artifactPath, lineagePath, modelNodeId, modelsPath, runLink, versionNumber } from "../lib/registryPaths";
import { Link } from "../router";

const PAGE = 100;

/** A registered model: description, tags, aliases, versions with stages, a version's files and source run, and the history. */
export function ModelPage({ name }: { name: string }) {
  const [params, setParams] = useQueryParams();
  const [limit, setLimit] = useState(PAGE);
  const [eventLimit, setEventLimit] = useState(PAGE);
  const [tick, setTick] = useState(0);
  const model = useAsync((signal) => getModel(name, signal), [name, tick]);
  const versions = useAsync((signal) => listModelVersions(name, { limit }, signal), [name, limit, tick]);
  const events = useAsync((signal) => modelEvents(name, { limit: eventLimit }, signal), [name, eventLimit, tick]);
  const chosen = versionNumber(params.get("v"));
  const selected = chosen ?? model.data?.latest_version ?? null;
  const select = (v: number) => setParams({ v, file: null, dir: null, offset: null });
  const refresh = () => setTick((t) => t + 1);
  const m = model.data;
  const listed = versions.data?.versions.find((v) => v.version === selected) ?? null;
  // A version older than the loaded page of the table is fetched on its own.
  const needOne = selected !== null && versions.data !== undefined && listed === null;
  const single = useAsync(
    (signal) => (needOne && selected !== null ? getModelVersion(name, selected, signal) : Promise.resolve(null)),
    [name, selected, needOne, tick],
  );
  const version = listed ?? single.data ?? null;

  if (model.error)
    return (
      <main className="page registry-page">
        {isNotFound(model.error) ? (
          <EmptyState title="No such model">
            <p>
              No model is registered as <code>{name}</code>. <Link to={modelsPath()}>See the registered models</Link>.
            </p>
          </EmptyState>
        ) : (
          <ErrorMessage error={model.error} onRetry={model.reload} />
        )}
      </main>
    );

  return (
    <main className="page registry-page" data-testid="model-page">
      <div className="page-head">
        <div className="entity-head" data-testid="model-header">
          <div className="title-row">
            <h1 className="entity-title">{name}</h1>
            <span className="type-chip">model</span>
          </div>
          {m?.description ? <p className="entity-description">{m.description}</p> : null}
          {m ? (
            <p className="muted small">
              {formatCount(m.version_count)} {m.version_count === 1 ? "version" : "versions"} · registered{" "}
              {formatDate(m.created)}
              {m.created_by ? ` by ${m.created_by}` : ""} · updated{" "}
              <span title={formatDate(m.updated, true)}>{formatRelative(m.updated)}</span>
            </p>
          ) : null}
          {m && Object.keys(m.tags).length > 0 ? (
            <div className="tags model-tags" data-testid="model-tags">
              {Object.entries(m.tags).map(([k, v]) => (
                <span key={k} className="tag">
                  {k}={v}
                </span>
              ))}
            </div>
          ) : null}
        </div>
        {m && Object.keys(m.aliases).length > 0 ? (
          <div className="alias-bar" data-testid="model-aliases">
            {Object.entries(m.aliases).map(([alias, v]) => (
              <AliasChip key={alias} alias={alias} version={v} active={v === selected} onClick={() => select(v)} />
            ))}
          </div>
        ) : null}
      </div>
      {model.loading && !m ? <Loading label="Loading the model…" /> : null}

      <div className="model-grid">
        <section className="card table-card">
          <div className="card-title pad-title">
            <h3>Versions</h3>
            <span className="muted small">newest first; click one for its files and source run</span>
          </div>
          {versions.error ? <ErrorMessage error={versions.error} onRetry={versions.reload} compact /> : null}
          {versions.data && versions.data.versions.length === 0 ? (
            <p className="muted pad">
              No versions yet. Register one with <code>tm.register_model("runs/RUN_ID/model", {JSON.stringify(name)})</code>.
            </p>
          ) : null}
          {versions.data && versions.data.versions.length > 0 ? (
            <table className="reg-table" data-testid="model-versions">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Stage</th>
                  <th>Aliases</th>
                  <th>Source run</th>
                  <th>Created</th>
                  <th>Description</th>
                </tr>
              </thead>
              <tbody>
                {versions.data.versions.map((v) => (
                  <VersionRow key={v.version} v={v} selected={v.version === selected} onSelect={() => select(v.version)} />
                ))}
              </tbody>
            </table>
          ) : null}
          {versions.data && versions.data.next_offset !== null ? (
            <div className="pager">
              <button type="button" className="btn small" onClick={() => setLimit(limit + PAGE)}>
                Show older versions ({formatCount(versions.data.total - versions.data.versions.length)})
              </button>
            </div>
          ) : null}
        </section>
        <section className="card">
          <div className="card-title">
            <h3>History</h3>
          </div>
          {events.error ? <ErrorMessage error={events.error} onRetry={events.reload} compact /> : null}
          {events.data ? (
            <EventTimeline events={events.data.events} total={events.data.total} onMore={() => setEventLimit(eventLimit + PAGE)} />
          ) : null}
        </section>
      </div>

      {version ? <VersionDetail key={version.version} v={version} onChanged={refresh} /> : null}
      {needOne && single.error ? (
        <EmptyState title={`There is no version ${selected}`}>
          <p>It may have been deleted. Pick one of the versions above.</p>
        </EmptyState>
      ) : null}
    </main>
  );
}

function VersionRow({ v, selected, onSelect }: { v: ModelVersion; selected: boolean; onSelect: () => void }) {
  return (
    <tr
      className={selected ? "clickable selected" : "clickable"}
      data-testid="model-version-row"
      data-version={v.version}
      data-stage={v.stage}
      data-selected={selected ? "true" : "false"}
      aria-selected={selected}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest("a,button")) return;
        onSelect();
      }}
    >
      <td>
        <button type="button" className="link-btn mono strong" onClick={onSelect}>
          v{v.version}
        </button>
      </td>
      <td>
        <StageBadge stage={v.stage} />
      </td>
      <td>
        <AliasList aliases={v.aliases} />
      </td>
      <td>
        {v.source_run && v.source_project ? (
          <Link to={runLink(v.source_project, v.source_run)} className="mono" data-testid="version-run-link">
            {v.source_run}
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td title={formatDate(v.created, true)}>{formatRelative(v.created)}</td>
      <td className="clamp-cell">{v.description}</td>
    </tr>
  );
}

function VersionDetail({ v, onChanged }: { v: ModelVersion; onChanged: () => void }) {
  const lineage = lineagePath(v.source_project, { node: modelNodeId(v.model, v.version) });
  return (
    <section className="version-detail" data-testid="model-version-detail" data-version={v.version}>
      <div className="section-head-row">
        <h2 className="section-title-lg">
          {v.model} v{v.version}
        </h2>
        <StageBadge stage={v.stage} />
        <AliasList aliases={v.aliases} />
        <Link to={lineage} className="btn small" data-testid="lineage-link">
          Lineage
        </Link>
      </div>
      <div className="detail-grid">
        <div className="card">
          <dl className="facts">
            <div className="fact">
              <dt>Source</dt>
              <dd className="mono break">{v.source}</dd>
            </div>
            <div className="fact">
              <dt>Size</dt>
              <dd>
                {formatBytes(v.size)} in {formatCount(v.file_count)} {v.file_count === 1 ? "file" : "files"}
              </dd>
            </div>
            <div className="fact">
              <dt>Digest</dt>
              <dd>
                <Digest digest={v.digest} />
              </dd>
            </div>
            <div className="fact">
              <dt>Registered</dt>
              <dd title={formatDate(v.created, true)}>
                {formatDate(v.created)}
                {v.created_by ? ` by ${v.created_by}` : ""}
              </dd>
            </div>
            {v.artifact ? (
              <div className="fact">
                <dt>From artifact</dt>
                <dd>
                  <Link to={artifactPath(v.artifact.project, v.artifact.name, { version: v.artifact.version })} className="mono" data-testid="source-artifact-link">
                    {v.artifact.ref}
                  </Link>
                </dd>
              </div>
            ) : null}
          </dl>
          <div className="fact-block">
            <div className="label">Description</div>
            {v.description ? <p className="entity-description">{v.description}</p> : <p className="muted small">No description.</p>}
          </div>
          {Object.keys(v.tags).length > 0 ? (
            <div className="tags">
              {Object.entries(v.tags).map(([k, val]) => (
                <span key={k} className="tag">
                  {k}={val}
                </span>
              ))}
            </div>
          ) : null}
        </div>
        <div className="card">
          <div className="label-row">Source run</div>
          {v.source_run && v.source_project ? (
            <RunSummary project={v.source_project} runId={v.source_run} />
          ) : (
            <p className="muted small">This version was not registered from a run.</p>
          )}
        </div>
        <div className="card">
          <div className="label-row">Change</div>
          <ModelActions version={v} onChanged={onChanged} />
        </div>
      </div>
      <VersionFiles source={modelFiles(v.model, v.version)} />
    </section>
  );
}
