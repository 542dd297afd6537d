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
import type { Column } from "../components/DataTable";
import { ErrorMessage, Loading, NotFoundOrError } from "../components/common";
import { AliasBar, AliasList, TypeChip } from "../components/registry/Chips";
import { EntityHeader, VersionHeading } from "../components/registry/EntityHeader";
import { MetadataView } from "../components/registry/JsonTree";
import { DescriptionBlock, Fact, VersionFacts } from "../components/registry/VersionFacts";
import { VersionFiles } from "../components/registry/VersionFiles";
import { MissingVersion, VersionRow, VersionsCard } from "../components/registry/VersionList";
import { useAsync } from "../hooks/useAsync";
import { useQueryParams } from "../hooks/useQueryParams";
import { formatBytes } from "../lib/files";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { artifactNodeId, artifactsPath, lineagePath, runLink, versionNumber } from "../lib/registryPaths";
import { Link } from "../router";

const VERSIONS_PAGE = 100;
const VERSION_COLUMNS: Column[] = ["Version", "Aliases", { label: "Size", num: true }, { label: "Files", num: true }, "Produced by", { label: "Used by", num: true }, "Created"];

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
        <NotFoundOrError error={artifact.error} onRetry={artifact.reload} title="No such artifact">
          <p>
            <code>{project}</code> has no artifact named <code>{name}</code>.{" "}
            <Link to={artifactsPath(project)}>See the project's artifacts</Link>.
          </p>
        </NotFoundOrError>
      </main>
    );
  const a = artifact.data;
  const aliases = new Map<string, number>();
  for (const v of versions.data?.versions ?? []) for (const al of v.aliases) aliases.set(al, v.version);

  return (
    <main className="page registry-page" data-testid="artifact-page">
      <div className="page-head">
        <EntityHeader name={name} chip={a ? <TypeChip type={a.type} /> : null} description={a?.description} testId="artifact-header">
          {a ? (
            <p className="muted small">
              {formatCount(a.version_count)} {a.version_count === 1 ? "version" : "versions"} · updated{" "}
              <span title={formatDate(a.updated, true)}>{formatRelative(a.updated)}</span> · in{" "}
              <Link to={artifactsPath(project)}>{project}</Link>
            </p>
          ) : null}
        </EntityHeader>
        <AliasBar aliases={[...aliases.entries()]} selected={selectedNumber} onSelect={select} testId="artifact-aliases" />
      </div>
      {artifact.loading && !a ? <Loading label="Loading the artifact…" /> : null}

      <VersionsCard
        hint="newest first; click one to see its files"
        list={versions}
        empty="This artifact has no versions left."
        columns={VERSION_COLUMNS}
        testId="artifact-versions"
        onMore={() => setLimit(limit + VERSIONS_PAGE)}
        row={(v) => (
          <ArtifactVersionRow key={v.version} v={v} project={project} selected={v.version === selectedNumber} onSelect={() => select(v.version)} />
        )}
      />

      {selectedNumber !== null ? <VersionDetail key={selectedNumber} project={project} name={name} version={selectedNumber} /> : null}
    </main>
  );
}

function ArtifactVersionRow({ v, project, selected, onSelect }: { v: ArtifactVersion; project: string; selected: boolean; onSelect: () => void }) {
  return (
    <VersionRow version={v.version} selected={selected} onSelect={onSelect} data-testid="artifact-version-row">
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
    </VersionRow>
  );
}

function VersionDetail({ project, name, version }: { project: string; name: string; version: number }) {
  const { data: v, error, reload } = useAsync((signal) => getArtifactVersion(project, name, `v${version}`, signal), [project, name, version]);
  const users = useAsync((signal) => artifactUsers(project, name, version, signal), [project, name, version]);
  if (error)
    return isNotFound(error) ? <MissingVersion version={version} /> : <ErrorMessage error={error} onRetry={reload} />;
  if (!v) return <Loading label="Loading the version…" />;
  const lineage = lineagePath(project, { node: artifactNodeId(project, name, version) });
  return (
    <section className="version-detail" data-testid="version-detail" data-version={version}>
      <VersionHeading title={`${name}:v${version}`} lineage={lineage}>
        <AliasList aliases={v.aliases} />
      </VersionHeading>
      <div className="detail-grid">
        <div className="card">
          <dl className="facts">
            <VersionFacts version={v} createdLabel="Created" />
            <Fact label="Produced by">
              {v.run ? (
                <Link to={runLink(project, v.run)} className="mono">
                  run {v.run}
                </Link>
              ) : (
                <span className="muted">no run (uploaded directly)</span>
              )}
            </Fact>
          </dl>
          <DescriptionBlock text={v.description} testId="version-description" />
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
