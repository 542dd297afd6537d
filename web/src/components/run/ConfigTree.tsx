/** A run's config as a collapsible tree; values are rendered as text. */
import { useState } from "react";
import { compareKeys } from "../../lib/config";
import { formatValue } from "../../lib/format";

function isBranch(v: unknown): v is Record<string, unknown> | unknown[] {
  return typeof v === "object" && v !== null && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0);
}

function Node({ name, value, depth }: { name: string; value: unknown; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  if (!isBranch(value)) {
    return (
      <li className="ct-leaf">
        <span className="ct-key mono">{name}</span>
        <span className={`ct-val mono type-${value === null ? "null" : typeof value}`}>
          {typeof value === "string" ? `"${value}"` : value === null ? "null" : formatValue(value) || JSON.stringify(value)}
        </span>
      </li>
    );
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value).sort(([a], [b]) => compareKeys(a, b));
  return (
    <li className="ct-branch">
      <button type="button" className="ct-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className={open ? "chevron open" : "chevron"} aria-hidden="true">
          ▸
        </span>
        <span className="ct-key mono">{name}</span>
        <span className="muted small">{Array.isArray(value) ? `[${value.length}]` : `{${entries.length}}`}</span>
      </button>
      {open && (
        <ul>
          {entries.map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}

export function ConfigTree({ config }: { config: Record<string, unknown> }) {
  const entries = Object.entries(config ?? {}).sort(([a], [b]) => compareKeys(a, b));
  return (
    <div className="config-tree" data-testid="config-tree">
      {entries.length === 0 ? (
        <p className="muted">No config was logged. Pass <code>config=&#123;…&#125;</code> to <code>tm.init</code>.</p>
      ) : (
        <ul className="ct-root">
          {entries.map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={0} />
          ))}
        </ul>
      )}
    </div>
  );
}
