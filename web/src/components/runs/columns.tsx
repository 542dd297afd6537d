/** Column definitions of the runs table (fixed columns plus any config or summary key). */
import type { ColumnDef } from "@tanstack/react-table";
import type { Run } from "../../api/types";
import { colorFor } from "../../lib/colors";
import { getPath } from "../../lib/config";
import { fieldRef } from "../../lib/filterLang";
import { formatDate, formatDuration, formatRelative, formatValue, toNumber } from "../../lib/format";
import { Link, runPagePath } from "../../router";
import { StateBadge, Swatch } from "../common";

export type RunRow = Run | null; // null: not loaded yet

export interface ColumnMeta {
  /** The API order field, or null if the server can't sort by it. */
  sortField: string | null;
  /** Which direction a first click sorts. */
  firstDesc: boolean;
  numeric?: boolean;
  label: string;
}

export interface RowActions {
  project: string;
  isVisible: (id: string) => boolean;
  isSelected: (id: string) => boolean;
  toggleVisible: (run: Run) => void;
  toggleSelected: (run: Run) => void;
  now: number;
}

export const EyeIcon = ({ open }: { open: boolean }) =>
  open ? (
    <svg viewBox="0 0 24 24" width="15" height="15" aria-hidden="true">
      <path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z" fill="none" stroke="currentColor" strokeWidth="2" />
      <circle cx="12" cy="12" r="3" fill="currentColor" />
    </svg>
  ) : (
    <svg viewBox="0 0 24 24" width="15" height="15" aria-hidden="true">
      <path d="M3 3l18 18M10.6 5.1A10 10 0 0 1 12 5c6.4 0 10 7 10 7a17 17 0 0 1-3.2 3.9M6.6 6.6C3.8 8.4 2 12 2 12s3.6 7 10 7a9.6 9.6 0 0 0 4.4-1.1" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
    </svg>
  );

export function columnLabel(id: string): string {
  if (id.startsWith("config.")) return id.slice(7);
  if (id.startsWith("summary.")) return id.slice(8);
  return id;
}

export function buildColumns(extra: readonly string[], a: RowActions): ColumnDef<RunRow>[] {
  const cols: ColumnDef<RunRow>[] = [
    {
      id: "controls",
      size: 84,
      header: () => null,
      meta: { sortField: null, firstDesc: false, label: "" } satisfies ColumnMeta,
      cell: ({ row }) => {
        const r = row.original;
        if (!r) return null;
        const visible = a.isVisible(r.id);
        return (
          <div className="row-controls">
            <input
              type="checkbox"
              data-testid="run-select"
              aria-label={`Select ${r.name} for comparison`}
              checked={a.isSelected(r.id)}
              onChange={() => a.toggleSelected(r)}
            />
            <button
              type="button"
              className={visible ? "eye on" : "eye"}
              data-testid="run-visibility-toggle"
              aria-pressed={visible}
              aria-label={visible ? `Hide ${r.name} in charts` : `Show ${r.name} in charts`}
              title={visible ? "Shown in charts: click to hide" : "Hidden from charts: click to show"}
              onClick={() => a.toggleVisible(r)}
            >
              <EyeIcon open={visible} />
            </button>
            <Swatch color={colorFor(r.id)} />
          </div>
        );
      },
    },
    {
      id: "name",
      size: 220,
      header: "Name",
      meta: { sortField: "name", firstDesc: false, label: "Name" } satisfies ColumnMeta,
      cell: ({ row }) => {
        const r = row.original;
        if (!r) return null;
        return (
          <Link to={runPagePath(a.project, r.id)} className="run-link" data-testid="run-name" title={r.notes ? `${r.name}\n\n${r.notes}` : r.name}>
            {r.name || r.id}
          </Link>
        );
      },
    },
    {
      id: "state",
      size: 108,
      header: "State",
      meta: { sortField: "state", firstDesc: false, label: "State" } satisfies ColumnMeta,
      cell: ({ row }) => (row.original ? <StateBadge state={row.original.state} /> : null),
    },
    {
      id: "created",
      size: 104,
      header: "Created",
      meta: { sortField: "created", firstDesc: true, label: "Created" } satisfies ColumnMeta,
      cell: ({ row }) =>
        row.original ? <span title={formatDate(row.original.created, true)}>{formatRelative(row.original.created, a.now)}</span> : null,
    },
    {
      id: "duration",
      size: 84,
      header: "Runtime",
      meta: { sortField: null, firstDesc: true, numeric: true, label: "Runtime" } satisfies ColumnMeta,
      cell: ({ row }) => {
        const r = row.original;
        if (!r) return null;
        const d = r.state === "running" ? Math.max(0, a.now - r.created) : r.duration;
        return <span className="num">{formatDuration(d)}</span>;
      },
    },
    {
      id: "tags",
      size: 150,
      header: "Tags",
      meta: { sortField: null, firstDesc: false, label: "Tags" } satisfies ColumnMeta,
      cell: ({ row }) => {
        const r = row.original;
        if (!r || r.tags.length === 0) return null;
        return (
          <span className="tags" title={r.tags.join(", ")}>
            {r.tags.slice(0, 3).map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
            {r.tags.length > 3 && <span className="muted small">+{r.tags.length - 3}</span>}
          </span>
        );
      },
    },
  ];
  for (const id of extra) {
    const isConfig = id.startsWith("config.");
    const key = columnLabel(id);
    cols.push({
      id,
      size: 120,
      header: key,
      meta: {
        sortField: fieldRef(isConfig ? "config" : "summary", key),
        firstDesc: !isConfig,
        numeric: true,
        label: key,
      } satisfies ColumnMeta,
      cell: ({ row }) => {
        const r = row.original;
        if (!r) return null;
        const v = isConfig ? getPath(r.config, key) : r.summary?.[key];
        const text = formatValue(v);
        return (
          <span className={toNumber(v) !== null ? "num mono" : "mono"} title={typeof v === "object" && v !== null ? JSON.stringify(v) : text}>
            {text}
          </span>
        );
      },
    });
  }
  return cols;
}
