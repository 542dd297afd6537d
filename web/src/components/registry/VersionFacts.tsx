/** The facts card of an artifact or model version: size, digest, creation, description (editable where the page allows). */
import type { ReactNode } from "react";
import "../../styles/registry.css";
import { formatBytes } from "../../lib/files";
import { formatCount, formatDate } from "../../lib/format";
import { Digest } from "./Chips";
import { EditableDescription, type DescriptionEdit } from "./DescriptionEditor";

/** One term of a `<dl className="facts">`. */
export function Fact({ label, title, className, children }: { label: string; title?: string; className?: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd className={className} title={title}>
        {children}
      </dd>
    </div>
  );
}

interface StoredVersion {
  size: number;
  file_count: number;
  digest: string;
  created: number;
  created_by: string | null;
}

/** What every stored version has: its size and file count, its digest, when and by whom it was made (`createdLabel`). */
export function VersionFacts({ version: v, createdLabel }: { version: StoredVersion; createdLabel: string }) {
  return (
    <>
      <Fact label="Size">
        {formatBytes(v.size)} in {formatCount(v.file_count)} {v.file_count === 1 ? "file" : "files"}
      </Fact>
      <Fact label="Digest">
        <Digest digest={v.digest} />
      </Fact>
      <Fact label={createdLabel} title={formatDate(v.created, true)}>
        {formatDate(v.created)}
        {v.created_by ? ` by ${v.created_by}` : ""}
      </Fact>
    </>
  );
}

/** The description of a version; with `edit`, an "Edit description" button edits it in place. */
export function DescriptionBlock({ text, testId, edit }: { text: string; testId?: string; edit?: DescriptionEdit }) {
  const show = (t: string) =>
    t ? (
      <p className="entity-description" data-testid={testId}>
        {t}
      </p>
    ) : (
      <p className="muted small">No description.</p>
    );
  return (
    <div className="fact-block">
      <div className="label">Description</div>
      {edit ? (
        <EditableDescription text={text} testId="version-description-editor" {...edit}>
          {show}
        </EditableDescription>
      ) : (
        show(text)
      )}
    </div>
  );
}
