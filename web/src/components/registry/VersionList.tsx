/** The versions table of an artifact or model: one selectable row a version, newest first, paged. */
import type { ReactNode } from "react";
import "../../styles/registry.css";
import type { VersionsPage } from "../../api/registry";
import type { AsyncState } from "../../hooks/useAsync";
import { formatCount } from "../../lib/format";
import { ClickableRow, DataTable, type Column } from "../DataTable";
import { EmptyState, ErrorMessage } from "../common";

export function VersionsCard<V>({
  hint,
  list,
  empty,
  columns,
  testId,
  onMore,
  row,
}: {
  hint: string;
  list: AsyncState<VersionsPage<V>>;
  /** What to say when there are no versions. */
  empty: ReactNode;
  columns: readonly Column[];
  testId: string;
  /** Load the next page of older versions. */
  onMore: () => void;
  row: (version: V) => ReactNode;
}) {
  const page = list.data;
  return (
    <section className="card table-card">
      <div className="card-title pad-title">
        <h3>Versions</h3>
        <span className="muted small">{hint}</span>
      </div>
      {list.error ? <ErrorMessage error={list.error} onRetry={list.reload} compact /> : null}
      {page && page.versions.length === 0 ? <p className="muted pad">{empty}</p> : null}
      {page && page.versions.length > 0 ? (
        <DataTable className="reg-table" testId={testId} columns={columns}>
          {page.versions.map(row)}
        </DataTable>
      ) : null}
      {page && page.next_offset !== null ? (
        <div className="pager">
          <button type="button" className="btn small" onClick={onMore}>
            Show older versions ({formatCount(page.total - page.versions.length)})
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** A version's row: `vN` in the first cell, the page's cells (`children`) after it. Test ids and other data come in `rest`. */
export function VersionRow({
  version,
  selected,
  onSelect,
  children,
  ...rest
}: {
  version: number;
  selected: boolean;
  onSelect: () => void;
  children: ReactNode;
}) {
  return (
    <ClickableRow
      {...rest}
      selected={selected}
      onActivate={onSelect}
      data-version={version}
      data-selected={selected ? "true" : "false"}
      aria-selected={selected}
    >
      <td>
        <button type="button" className="link-btn mono strong" onClick={onSelect}>
          v{version}
        </button>
      </td>
      {children}
    </ClickableRow>
  );
}

export function MissingVersion({ version }: { version: number | null }) {
  return (
    <EmptyState title={`There is no version ${version}`}>
      <p>It may have been deleted. Pick one of the versions above.</p>
    </EmptyState>
  );
}
