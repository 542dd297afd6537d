/** Small labels of the registry pages: aliases, stages, artifact types, digests. */
import type { MouseEvent } from "react";
import "../../styles/registry.css";
import { shortDigest } from "../../lib/files";

export function AliasChip({
  alias,
  version,
  onClick,
  onRemove,
  active,
}: {
  alias: string;
  version?: number;
  onClick?: () => void;
  /** Shows a "×" that calls this (the caller asks for confirmation). */
  onRemove?: () => void;
  active?: boolean;
}) {
  const text = version === undefined ? alias : `${alias} → v${version}`;
  if (onRemove)
    return (
      <span className="alias-chip removable" data-testid="alias-chip" data-alias={alias} title={`alias ${alias}`}>
        {text}
        <button type="button" className="chip-remove" data-testid="remove-alias" aria-label={`Remove alias ${alias}`} title={`Remove alias ${alias}…`} onClick={onRemove}>
          ×
        </button>
      </span>
    );
  if (!onClick)
    return (
      <span className="alias-chip" data-testid="alias-chip" data-alias={alias} title={`alias ${alias}`}>
        {text}
      </span>
    );
  return (
    <button
      type="button"
      className={active ? "alias-chip clickable active" : "alias-chip clickable"}
      data-testid="alias-chip"
      data-alias={alias}
      title={version === undefined ? `alias ${alias}` : `Show version ${version}, which ${alias} names`}
      onClick={(e: MouseEvent) => {
        e.stopPropagation();
        onClick();
      }}
    >
      {text}
    </button>
  );
}

export function AliasList({ aliases, onClick }: { aliases: readonly string[]; onClick?: (alias: string) => void }) {
  if (aliases.length === 0) return null;
  return (
    <span className="alias-list">
      {aliases.map((a) => (
        <AliasChip key={a} alias={a} onClick={onClick ? () => onClick(a) : undefined} />
      ))}
    </span>
  );
}

export function StageBadge({ stage }: { stage: string }) {
  return (
    <span className={`stage-badge stage-${stage.toLowerCase()}`} data-testid="stage-badge" data-stage={stage}>
      {stage === "None" ? "no stage" : stage}
    </span>
  );
}

export function TypeChip({ type }: { type: string }) {
  return <span className="type-chip">{type}</span>;
}

export function Digest({ digest }: { digest: string | null | undefined }) {
  if (!digest) return <span className="muted">—</span>;
  return (
    <code className="digest" title={`sha256 ${digest}`}>
      {shortDigest(digest)}
    </code>
  );
}

/** The aliases of an entity as chips `alias → vN`; clicking one selects its version. */
export function AliasBar({
  aliases,
  selected,
  onSelect,
  testId,
}: {
  aliases: readonly [string, number][];
  selected: number | null;
  onSelect: (version: number) => void;
  testId: string;
}) {
  if (aliases.length === 0) return null;
  return (
    <div className="alias-bar" data-testid={testId}>
      {aliases.map(([alias, v]) => (
        <AliasChip key={alias} alias={alias} version={v} active={v === selected} onClick={() => onSelect(v)} />
      ))}
    </div>
  );
}

/** `key=value` tags; nothing when there are none. */
export function TagList({ tags, className = "tags", testId }: { tags: Record<string, string>; className?: string; testId?: string }) {
  const entries = Object.entries(tags);
  if (entries.length === 0) return null;
  return (
    <div className={className} data-testid={testId}>
      {entries.map(([k, v]) => (
        <span key={k} className="tag">
          {k}={v}
        </span>
      ))}
    </div>
  );
}
