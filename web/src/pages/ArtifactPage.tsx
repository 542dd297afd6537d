import { useState } from "react";
import "../styles/registry.css";
import { isNotFound } from "../api/client";
import {
  artifactFiles,
  artifactUsers,
  getArtifact,
  getArtifactVersion,
  listArtifactVersions,
  type ArtifactVersion,
} from "../api/registry";
import { EmptyState, ErrorMessage, Loading } from "../components/common";
import { AliasChip, AliasList, Digest, TypeChip } from "../components/registry/Chips";
import { MetadataView } from "../components/registry/JsonTree";
import { VersionFiles } from "../components/registry/VersionFiles";
import { useAsync } from "../hooks/useAsync";
import { useQueryParams } from "../hooks/useQueryParams";
import { formatBytes } from "../lib/files";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { artifactNodeId, artifactsPath, lineagePath, runLink, versionNumber } from "../lib/registryPaths";
import { Link } from "../router";

const VERSIONS_PAGE = 100;

/** One artifact: its versions (aliases, size, producer), and the selected version's details and files. */
export function ArtifactPage({ project, name }: { project: string; name: string }) {
  const [params, setParams] = useQueryParams();
  const [limit, setLimit] = useState(VERSIONS_PAGE);
  const artifact = useAsync((signal) => getArtifact(project, name, signal), [project, name]);
  const versions = useAsync((signal) => listArtifactVersions(project, name, { limit }, signal), [project, name, limit]);
  const chosen = versionNumber(params.get("v"));
  const selectedNumber = chosen ?? artifact.data?.latest?.version ?? null;
  const select = (v: number) => setParams({ v, file: null, dir: null, offset: null });

  if (artifact.error)
    return (
      <main className="page registry-page">
        {isNotFound(artifact.error) ? (
          <EmptyState title="No such artifact">
            <p>
              <code>{project}</code> has no artifact named <code>{name}</code>.{" "}
              <Link to={artifactsPath(project)}>See the project's artifacts</Link>.
            </p>
          </EmptyState>
        ) : (
          <ErrorMessage error={artifact.error} onRetry={artifact.reload} />
        )}
      </main>
    );
  const a = artifact.data;
  const aliases = new Map<string, number>();
  for (const v of versions.data?.versions ?? []) for (const al of v.aliases) aliases.set(al, v.version);

  return (
    <main className="page registry-page" data-testid="artifact-page">
      <div className="page-head">
        <div className="entity-head" data-testid="artifact-header">
          <div className="title-row">
            <h1 className="entity-title">{name}</h1>
            {a ? <TypeChip type={a.type} /> : null}
          </div>
          {a?.description ? <p className="entity-description">{a.description}</p> : null}
          {a ? (
            <p className="muted small">
              {formatCount(a.version_count)} {a.version_count === 1 ? "version" : "versions"} · updated{" "}
              <span title={formatDate(a.updated, true)}>{formatRelative(a.updated)}</span> · in{" "}
              <Link to={artifactsPath(project)}>{project}</Link>
            </p>
          ) : null}
        </div>
        {aliases.size > 0 ? (
          <div className="alias-bar" data-testid="artifact-aliases">
            {[...aliases.entries()].map(([al, v]) => (
              <AliasChip key={al} alias={al} version={v} active={v === selectedNumber} onClick={() => select(v)} />
            ))}
          </div>
        ) : null}
      </div>
      {artifact.loading && !a ? <Loading label="Loading the artifact…" /> : null}

      <section className="card table-card">
        <div className="card-title pad-title">
          <h3>Versions</h3>
          <span className="muted small">newest first; click one to see its files</span>
        </div>
        {versions.error ? <ErrorMessage error={versions.error} onRetry={versions.reload} compact /> : null}
        {versions.data && versions.data.versions.length === 0 ? <p className="muted pad">This artifact has no versions left.</p> : null}
        {versions.data && versions.data.versions.length > 0 ? (
          <table className="reg-table" data-testid="artifact-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>Aliases</th>
                <th className="num">Size</th>
                <th className="num">Files</th>
                <th>Produced by</th>
                <th className="num">Used by</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {versions.data.versions.map((v) => (
                <VersionRow key={v.version} v={v} project={project} selected={v.version === selectedNumber} onSelect={() => select(v.version)} />
              ))}
            </tbody>
          </table>
        ) : null}
        {versions.data && versions.data.next_offset !== null ? (
          <div className="pager">
            <button type="button" className="btn small" onClick={() => setLimit(limit + VERSIONS_PAGE)}>
              Show older versions ({formatCount(versions.data.total - versions.data.versions.length)})
            </button>
          </div>
        ) : null}
      </section>

      {selectedNumber !== null ? <VersionDetail key={selectedNumber} project={project} name={name} version={selectedNumber} /> : null}
    </main>
  );
}

function VersionRow({ v, project, selected, onSelect }: { v: ArtifactVersion; project: string; selected: boolean; onSelect: () => void }) {
  return (
    <tr
      className={selected ? "clickable selected" : "clickable"}
      data-testid="artifact-version-row"
      data-version={v.version}
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
        <AliasList aliases={v.aliases} />
      </td>
      <td className="num">{formatBytes(v.size)}</td>
      <td className="num">{formatCount(v.file_count)}</td>
      <td>
        {v.run ? (
          <Link to={runLink(project, v.run)} className="mono" data-testid="producer-link">
            {v.run}
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="num">{v.used_by ? `${formatCount(v.used_by)} ${v.used_by === 1 ? "run" : "runs"}` : ""}</td>
      <td title={formatDate(v.created, true)}>{formatRelative(v.created)}</td>
    </tr>
  );
}

function VersionDetail({ project, name, version }: { project: string; name: string; version: number }) {
  const { data: v, error, reload } = useAsync((signal) => getArtifactVersion(project, name, `v${version}`, signal), [project, name, version]);
  const users = useAsync((signal) => artifactUsers(project, name, version, signal), [project, name, version]);
  if (error)
    return isNotFound(error) ? (
      <EmptyState title={`There is no version ${version}`}>
        <p>It may have been deleted. Pick one of the versions above.</p>
      </EmptyState>
    ) : (
      <ErrorMessage error={error} onRetry={reload} />
    );
  if (!v) return <Loading label="Loading the version…" />;
  const lineage = lineagePath(project, { node: artifactNodeId(project, name, version) });
  return (
    <section className="version-detail" data-testid="version-detail" data-version={version}>
      <div className="section-head-row">
        <h2 className="section-title-lg">
          {name}:v{version}
        </h2>
        <AliasList aliases={v.aliases} />
        <Link to={lineage} className="btn small" data-testid="lineage-link">
          Lineage
        </Link>
      </div>
      <div className="detail-grid">
        <div className="card">
          <dl className="facts">
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
              <dt>Created</dt>
              <dd title={formatDate(v.created, true)}>
                {formatDate(v.created)}
                {v.created_by ? ` by ${v.created_by}` : ""}
              </dd>
            </div>
            <div className="fact">
              <dt>Produced by</dt>
              <dd>
                {v.run ? (
                  <Link to={runLink(project, v.run)} className="mono">
                    run {v.run}
                  </Link>
                ) : (
                  <span className="muted">no run (uploaded directly)</span>
                )}
              </dd>
            </div>
          </dl>
          <div className="fact-block">
            <div className="label">Description</div>
            {v.description ? (
              <p className="entity-description" data-testid="version-description">
                {v.description}
              </p>
            ) : (
              <p className="muted small">No description.</p>
            )}
          </div>
        </div>
        <div className="card">
          <div className="label-row">Metadata</div>
          <MetadataView metadata={v.metadata} empty="No metadata. Pass metadata={…} to tm.Artifact to keep facts about the files." />
        </div>
        <div className="card" data-testid="version-users">
          <div className="label-row">Used by</div>
          {users.error ? <ErrorMessage error={users.error} compact /> : null}
          {users.data && users.data.runs.length === 0 ? (
            <p className="muted small">
              No run used this version yet. A run records it with <code>run.use_artifact("{name}:v{version}")</code>.
            </p>
          ) : null}
          {users.data && users.data.runs.length > 0 ? (
            <ul className="plain-list">
              {users.data.runs.map((id) => (
                <li key={id}>
                  <Link to={runLink(project, id)} className="mono" data-testid="user-run-link">
                    {id}
                  </Link>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      </div>
      <VersionFiles source={artifactFiles(project, name, version)} />
    </section>
  );
}
