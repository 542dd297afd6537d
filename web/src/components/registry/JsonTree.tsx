/** A JSON value as a collapsible tree, keys in their own order; everything rendered as text. */
import { useState } from "react";
import "../../styles/registry.css";

const MAX_CHILDREN = 200;

function isBranch(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === "object" && v !== null;
}

function Leaf({ value }: { value: unknown }) {
  if (value === null) return <span className="jt-val jt-null">null</span>;
  if (typeof value === "string") return <span className="jt-val jt-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="jt-val jt-number">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="jt-val jt-boolean">{String(value)}</span>;
  return <span className="jt-val">{String(value)}</span>;
}

function Branch({ name, value, depth, openDepth }: { name: string | null; value: Record<string, unknown> | unknown[]; depth: number; openDepth: number }) {
  const [open, setOpen] = useState(depth < openDepth);
  const [all, setAll] = useState(false);
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const shown = all ? entries : entries.slice(0, MAX_CHILDREN);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <li>
      <button type="button" className="jt-toggle" aria-expanded={open} onClick={() => setOpen(!open)} disabled={entries.length === 0}>
        <span className={open ? "chevron open" : "chevron"} aria-hidden="true">
          ▸
        </span>
        {name !== null && <span className="jt-key">{name}</span>}
        <span className="muted small">{summary}</span>
      </button>
      {open && entries.length > 0 && (
        <ul>
          {shown.map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={depth + 1} openDepth={openDepth} />
          ))}
          {shown.length < entries.length && (
            <li>
              <button type="button" className="link-btn small" onClick={() => setAll(true)}>
                Show {entries.length - shown.length} more
              </button>
            </li>
          )}
        </ul>
      )}
    </li>
  );
}

function Node({ name, value, depth, openDepth }: { name: string | null; value: unknown; depth: number; openDepth: number }) {
  if (isBranch(value)) return <Branch name={name} value={value} depth={depth} openDepth={openDepth} />;
  return (
    <li className="jt-leaf">
      {name !== null && <span className="jt-key">{name}</span>}
      <Leaf value={value} />
    </li>
  );
}

export function JsonTree({ value, openDepth = 2, testId }: { value: unknown; openDepth?: number; testId?: string }) {
  return (
    <ul className="json-tree mono" data-testid={testId}>
      <Node name={null} value={value} depth={0} openDepth={openDepth} />
    </ul>
  );
}

/** Key-value metadata: a tree when there is any, else a hint. */
export function MetadataView({ metadata, empty }: { metadata: Record<string, unknown> | null | undefined; empty: string }) {
  if (!metadata || Object.keys(metadata).length === 0) return <p className="muted small">{empty}</p>;
  return <JsonTree value={metadata} testId="version-metadata" />;
}
