/** Server admins: the audit log (sign-ins, writes, permission changes, denials), filtered and paged, newest first. */
import { useEffect, useState } from "react";
import "../styles/accounts.css";
import { listAudit, type AuditEvent, type AuditFilter } from "../api/accounts";
import { PageHead } from "../components/PageHead";
import { EmptyState, ErrorMessage, Loading } from "../components/common";
import { AdminOnly, AdminTabs } from "../components/accounts/AdminTabs";
import { useCurrentUser } from "../components/accounts/Session";
import { useDebounced } from "../hooks/useDom";
import { useQueryParams } from "../hooks/useQueryParams";
import { formatDate } from "../lib/format";
import { auditSince, AUDIT_PERIODS } from "../lib/access";

const PAGE = 100;
const TEXT_FILTERS = [
  { key: "actor", label: "Actor", placeholder: "alice" },
  { key: "action", label: "Action", placeholder: "sign_in.failed" },
  { key: "resource", label: "Resource", placeholder: "project:mnist" },
] as const;

export function AuditLogPage() {
  const me = useCurrentUser();
  const [params, setParams] = useQueryParams();
  const text = { actor: params.get("actor") ?? "", action: params.get("action") ?? "", resource: params.get("resource") ?? "" };
  const outcome = params.get("outcome") ?? "";
  const period = params.get("period") ?? "";
  const typed = useDebounced(JSON.stringify(text), 300);

  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);

  const filter = (page_token: string | null): AuditFilter => {
    const t = JSON.parse(typed) as typeof text;
    // "the last 24 hours" is counted from now, at each load
    return { ...t, outcome, since: auditSince(period, Date.now() / 1000), page_token, limit: PAGE };
  };

  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    listAudit(filter(null), ctrl.signal).then(
      (page) => {
        setEvents(page.events);
        setNext(page.next_page_token);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (ctrl.signal.aborted) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => ctrl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed, outcome, period, tick]);

  const more = async () => {
    if (!next) return;
    setLoading(true);
    try {
      const page = await listAudit(filter(next));
      setEvents((old) => [...old, ...page.events]);
      setNext(page.next_page_token);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  return (
    <main className="page accounts-page" data-testid="audit-page">
      <PageHead title="Audit log" intro="Who did what, when, from where, and whether it was allowed. Nobody can change or delete it." />
      <AdminTabs />
      <AdminOnly isAdmin={!!me?.admin} />
      <div className="inline-form" data-testid="audit-filters">
        {TEXT_FILTERS.map((f) => (
          <label key={f.key}>
            {f.label}
            <input className="input" data-testid={`audit-${f.key}`} value={text[f.key]} placeholder={f.placeholder} onChange={(e) => setParams({ [f.key]: e.target.value })} />
          </label>
        ))}
        <label>
          Outcome
          <select className="input select" data-testid="audit-outcome" value={outcome} onChange={(e) => setParams({ outcome: e.target.value })}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="denied">denied</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <label>
          When
          <select className="input select" data-testid="audit-period" value={period} onChange={(e) => setParams({ period: e.target.value })}>
            {AUDIT_PERIODS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error ? <ErrorMessage error={error} onRetry={() => setTick((t) => t + 1)} /> : null}
      {loading && events.length === 0 ? <Loading label="Loading the audit log…" /> : null}
      {!loading && !error && events.length === 0 ? <EmptyState title="No event matches">{null}</EmptyState> : null}
      {events.length > 0 ? (
        <div className="card table-card">
          <table className="acct-table" data-testid="audit-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Resource</th>
                <th>Request</th>
                <th>Outcome</th>
                <th>From</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                  <td className="mono small">{formatDate(e.at, true)}</td>
                  <td>{e.actor}</td>
                  <td className="mono small">{e.action}</td>
                  <td className="mono small">{e.resource ?? ""}</td>
                  <td className="mono small" title={Object.keys(e.detail ?? {}).length ? JSON.stringify(e.detail) : undefined}>
                    {e.route ?? ""}
                  </td>
                  <td className={`outcome-${e.outcome}`}>
                    {e.outcome} <span className="muted small">{e.status}</span>
                  </td>
                  <td className="mono small">{e.client ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {next ? (
            <button type="button" className="btn small" disabled={loading} onClick={() => void more()} data-testid="audit-more">
              Older events
            </button>
          ) : null}
        </div>
      ) : null}
    </main>
  );
}
