/**
 * A user's API keys: listed with their visible start, last use and expiry; a new key is shown
 * once (the server keeps only its hash), with how to use it; revoking asks first.
 */
import { useState, type FormEvent } from "react";
import "../../styles/accounts.css";
import type { ApiKey, NewKey, NewKeyAnswer } from "../../api/accounts";
import { ErrorMessage, Loading } from "../common";
import type { AsyncState } from "../../hooks/useAsync";
import { formatDate, formatRelative } from "../../lib/format";
import { expiryAfterDays } from "../../lib/access";

const EXPIRY_CHOICES: { label: string; days: number | null }[] = [
  { label: "never", days: null },
  { label: "in 7 days", days: 7 },
  { label: "in 30 days", days: 30 },
  { label: "in 90 days", days: 90 },
  { label: "in a year", days: 365 },
];

const when = (t: number | null | undefined, none: string) =>
  t ? <span title={formatDate(t, true)}>{formatRelative(t)}</span> : <span className="muted">{none}</span>;

export function NewKeyForm({ create, onCreated, defaultName }: { create: (key: NewKey) => Promise<NewKeyAnswer>; onCreated: () => void; defaultName: string }) {
  const [name, setName] = useState(defaultName);
  const [readOnly, setReadOnly] = useState(false);
  const [days, setDays] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<{ name: string; secret: string } | null>(null);
  const [copied, setCopied] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await create({ name: name.trim(), read_only: readOnly, expires_at: expiryAfterDays(days, Date.now() / 1000) });
      setShown({ name: answer.api_key.name, secret: answer.key });
      setCopied(false);
      setName(defaultName);
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <>
      <form className="inline-form" onSubmit={(e) => void submit(e)} data-testid="new-key-form">
        <label>
          Name
          <input className="input" data-testid="new-key-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop, ci, cluster…" required />
        </label>
        <label>
          Expires
          <select className="input select" data-testid="new-key-expiry" value={days ?? ""} onChange={(e) => setDays(e.target.value ? Number(e.target.value) : null)}>
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.label} value={c.days ?? ""}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" data-testid="new-key-read-only" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} /> read-only
        </label>
        <button type="submit" className="btn primary" disabled={busy || !name.trim()} data-testid="new-key-submit">
          Create key
        </button>
      </form>
      {error ? <ErrorMessage error={error} compact /> : null}
      {shown ? (
        <div className="new-key" role="status" data-testid="new-key-shown">
          <strong>Key “{shown.name}” created.</strong> Copy it now: it is shown only this once.
          <code className="secret" data-testid="new-key-secret">{shown.secret}</code>
          <div className="toolbar-row">
            <button type="button" className="btn small" onClick={() => void copy(shown.secret)}>
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className="btn small" data-testid="new-key-dismiss" onClick={() => setShown(null)}>
              I have copied it
            </button>
          </div>
          <p className="muted small">
            Use it with <code>TRAILMARK_API_KEY=…</code>, <code>trailmark login --key</code>, or as <code>MLFLOW_TRACKING_TOKEN</code> for MLflow clients.
          </p>
        </div>
      ) : null}
    </>
  );
}

export function KeyTable({ keys, onRevoke }: { keys: AsyncState<{ keys: ApiKey[] }>; onRevoke: (key: ApiKey) => Promise<unknown> }) {
  const [confirm, setConfirm] = useState<ApiKey | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (keys.error) return <ErrorMessage error={keys.error} onRetry={keys.reload} compact />;
  if (!keys.data) return <Loading label="Loading keys…" />;
  const list = keys.data.keys;
  if (list.length === 0) return <p className="muted" data-testid="no-keys">No API keys yet.</p>;

  const revoke = async (key: ApiKey) => {
    setBusy(true);
    setError(null);
    try {
      await onRevoke(key);
      setConfirm(null);
      keys.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {error ? <ErrorMessage error={error} compact /> : null}
      <table className="acct-table" data-testid="key-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Scope</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.map((k) => {
            const revoked = !!k.revoked;
            return (
              <tr key={k.id} className={revoked ? "revoked" : undefined} data-testid="key-row" data-key={k.name}>
                <td>{k.name}</td>
                <td className="mono">{k.prefix}…</td>
                <td>{k.read_only ? <span className="pill">read-only</span> : <span className="pill">read and write</span>}</td>
                <td>{when(k.created, "")}</td>
                <td>{when(k.last_used, "never")}</td>
                <td>{revoked ? <span className="pill off">revoked</span> : when(k.expires, "never")}</td>
                <td>
                  {revoked ? null : confirm?.id === k.id ? (
                    <span className="toolbar-row" role="alertdialog" aria-label={`Revoke key ${k.name}`}>
                      <span className="small">Revoke? Anything using it stops working at once.</span>
                      <button type="button" className="btn small danger" disabled={busy} data-testid="revoke-confirm" onClick={() => void revoke(k)}>
                        Revoke
                      </button>
                      <button type="button" className="btn small" onClick={() => setConfirm(null)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" className="btn small" data-testid="revoke-key" onClick={() => setConfirm(k)}>
                      Revoke…
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
