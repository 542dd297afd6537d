/** Small shared pieces: error and empty states, state badges, loading indicator. */
import type { ReactNode } from "react";
import { ApiError, isNotFound } from "../api/client";
import type { RunState } from "../api/types";

/** The error in words, with what to do about it. */
export function describeError(error: unknown): { title: string; detail: string; hint: string } {
  if (error instanceof ApiError) {
    if (error.status === 0) return { title: "Cannot reach the server", detail: error.message, hint: "" };
    if (error.status === 404)
      return { title: "Not found", detail: error.message, hint: "It may have been deleted or renamed; check the link." };
    if (error.status === 400 || error.status === 422)
      return { title: "The server refused the request", detail: error.message, hint: "Fix the input and try again." };
    if (error.status >= 500)
      return {
        title: "The server failed",
        detail: error.message,
        hint: "Try again in a moment; if it keeps failing, look at the server's log.",
      };
    return { title: `Error ${error.status}`, detail: error.message, hint: "" };
  }
  const detail = error instanceof Error ? error.message : String(error);
  return { title: "Something went wrong", detail, hint: "Reload the page; if it persists, please report it." };
}

export function ErrorMessage({ error, onRetry, compact }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const { title, detail, hint } = describeError(error);
  return (
    <div className={compact ? "error-box compact" : "error-box"} role="alert" data-testid="error-message">
      <strong>{title}.</strong> <span>{detail}</span>
      {hint && <span className="hint"> {hint}</span>}
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, icon }: { title: string; children?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      {icon && <div className="empty-icon">{icon}</div>}
      <h3>{title}</h3>
      {children}
    </div>
  );
}

/** A 404 as an empty state that says what is missing (`title`, `children`); any other error as an error message. */
export function NotFoundOrError({ error, onRetry, title, children }: { error: unknown; onRetry?: () => void; title: string; children?: ReactNode }) {
  if (isNotFound(error)) return <EmptyState title={title}>{children}</EmptyState>;
  return <ErrorMessage error={error} onRetry={onRetry} />;
}

/** Nothing passes the search or filter: says so (`children`) and offers to clear it. */
export function NoMatches({ title, clearLabel, onClear, children }: { title: string; clearLabel: string; onClear: () => void; children: ReactNode }) {
  return (
    <EmptyState title={title}>
      <p>
        {children}{" "}
        <button type="button" className="link-btn" onClick={onClear}>
          {clearLabel}
        </button>
      </p>
    </EmptyState>
  );
}

export function StateBadge({ state }: { state: RunState | string }) {
  return (
    <span className={`badge state-${state}`} title={state}>
      {state === "running" && <span className="pulse" aria-hidden="true" />}
      {state}
    </span>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Swatch({ color, title }: { color: string; title?: string }) {
  return <span className="swatch" style={{ background: color }} title={title} aria-hidden={!title} />;
}

export function LiveIndicator({ active }: { active: boolean }) {
  if (!active) return null;
  return (
    <span className="live" data-testid="live-indicator" title="Runs are in progress; charts and the table update every few seconds">
      <span className="pulse" aria-hidden="true" /> Live
    </span>
  );
}
