import { useState } from "react";
import "../styles/registry.css";
import {
  getModel,
  getModelVersion,
  listModelVersions,
  modelEvents,
  modelFiles,
  updateModelDescription,
  updateModelVersionDescription,
  type ModelVersion,
} from "../api/registry";
import type { Column } from "../components/DataTable";
import { ErrorMessage, Loading, NotFoundOrError } from "../components/common";
import { AliasBar, AliasList, StageBadge, TagList, TypeChip } from "../components/registry/Chips";
import { EntityHeader, VersionHeading } from "../components/registry/EntityHeader";
import { EventTimeline } from "../components/registry/EventTimeline";
import { ModelActions } from "../components/registry/ModelActions";
import { RunSummary } from "../components/registry/RunSummary";
import { DescriptionBlock, Fact, VersionFacts } from "../components/registry/VersionFacts";
import { VersionFiles } from "../components/registry/VersionFiles";
import { MissingVersion, VersionRow, VersionsCard } from "../components/registry/VersionList";
import { useAsync } from "../hooks/useAsync";
import { useQueryParams } from "../hooks/useQueryParams";
import { formatCount, formatDate, formatRelative } from "../lib/format";
import { artifactPath, lineagePath, modelNodeId, modelsPath, runLink, versionNumber } from "../lib/registryPaths";
import { Link } from "../router";
import { NotAllowed } from "../components/accounts/Reason";
import { useAccess } from "../components/accounts/useAccess";
import { modelMembersPath } from "./accountRoutes";
import { writeReason } from "../lib/access";

const PAGE = 100;
const VERSION_COLUMNS: Column[] = ["Version", "Stage", "Aliases", "Source run", "Created", "Description"];

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
  const access = useAccess("model", name);
  const cannotEdit = writeReason(access, "model", name);

  if (model.error)
    return (
      <main className="page registry-page">
        <NotFoundOrError error={model.error} onRetry={model.reload} title="No such model">
          <p>
            No model is registered as <code>{name}</code>. <Link to={modelsPath()}>See the registered models</Link>.
          </p>
        </NotFoundOrError>
      </main>
    );

  return (
    <main className="page registry-page" data-testid="model-page">
      <div className="page-head">
        <EntityHeader
          name={name}
          chip={<TypeChip type="model" />}
          description={m?.description}
          edit={cannotEdit ? undefined : { onSave: (d) => updateModelDescription(name, d), onSaved: refresh, label: `Description of model ${name}` }}
          testId="model-header"
        >
          {m ? (
            <p className="muted small">
              {formatCount(m.version_count)} {m.version_count === 1 ? "version" : "versions"} · registered{" "}
              {formatDate(m.created)}
              {m.created_by ? ` by ${m.created_by}` : ""} · updated{" "}
              <span title={formatDate(m.updated, true)}>{formatRelative(m.updated)}</span>
            </p>
          ) : null}
          {m ? <TagList tags={m.tags} className="tags model-tags" testId="model-tags" /> : null}
          {access?.accounts && access.can.admin ? (
            <Link to={modelMembersPath(name)} className="small" data-testid="model-members-link">
              Members and visibility
            </Link>
          ) : null}
        </EntityHeader>
        <AliasBar aliases={m ? Object.entries(m.aliases) : []} selected={selected} onSelect={select} testId="model-aliases" />
      </div>
      {model.loading && !m ? <Loading label="Loading the model…" /> : null}

      <div className="model-grid">
        <VersionsCard
          hint="newest first; click one for its files and source run"
          list={versions}
          empty={
            <>
              No versions yet. Register one with <code>tm.register_model("runs/RUN_ID/model", {JSON.stringify(name)})</code>.
            </>
          }
          columns={VERSION_COLUMNS}
          testId="model-versions"
          onMore={() => setLimit(limit + PAGE)}
          row={(v) => <ModelVersionRow key={v.version} v={v} selected={v.version === selected} onSelect={() => select(v.version)} />}
        />
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

      {version ? <VersionDetail key={version.version} v={version} onChanged={refresh} cannotEdit={cannotEdit} /> : null}
      {needOne && single.error ? <MissingVersion version={selected} /> : null}
    </main>
  );
}

function ModelVersionRow({ v, selected, onSelect }: { v: ModelVersion; selected: boolean; onSelect: () => void }) {
  return (
    <VersionRow version={v.version} selected={selected} onSelect={onSelect} data-testid="model-version-row" data-stage={v.stage}>
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
    </VersionRow>
  );
}

function VersionDetail({ v, onChanged, cannotEdit }: { v: ModelVersion; onChanged: () => void; cannotEdit: string | null }) {
  const lineage = lineagePath(v.source_project, { node: modelNodeId(v.model, v.version) });
  return (
    <section className="version-detail" data-testid="model-version-detail" data-version={v.version}>
      <VersionHeading title={`${v.model} v${v.version}`} lineage={lineage}>
        <StageBadge stage={v.stage} />
        <AliasList aliases={v.aliases} />
      </VersionHeading>
      <div className="detail-grid">
        <div className="card">
          <dl className="facts">
            <Fact label="Source" className="mono break">
              {v.source}
            </Fact>
            <VersionFacts version={v} createdLabel="Registered" />
            {v.artifact ? (
              <Fact label="From artifact">
                <Link to={artifactPath(v.artifact.project, v.artifact.name, { version: v.artifact.version })} className="mono" data-testid="source-artifact-link">
                  {v.artifact.ref}
                </Link>
              </Fact>
            ) : null}
          </dl>
          <DescriptionBlock
            text={v.description}
            testId="model-version-description"
            edit={
              cannotEdit
                ? undefined
                : {
                    onSave: (d) => updateModelVersionDescription(v.model, v.version, d),
                    onSaved: onChanged,
                    label: `Description of version ${v.version} of ${v.model}`,
                  }
            }
          />
          <TagList tags={v.tags} />
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
          {cannotEdit ? <NotAllowed reason={cannotEdit} testId="model-actions-not-allowed" /> : <ModelActions version={v} onChanged={onChanged} />}
        </div>
      </div>
      <VersionFiles source={modelFiles(v.model, v.version)} />
    </section>
  );
}
