/** The run that produced a version: its name, state and last metrics, linked to its page. */
import "../../styles/registry.css";
import { isNotFound } from "../../api/client";
import { getRun } from "../../api/endpoints";
import { useAsync } from "../../hooks/useAsync";
import { formatValue } from "../../lib/format";
import { runLink } from "../../lib/registryPaths";
import { Link } from "../../router";
import { ErrorMessage, StateBadge } from "../common";

const MAX_METRICS = 8;

export function RunSummary({ project, runId }: { project: string; runId: string }) {
  const { data: run, error } = useAsync((signal) => getRun(project, runId, signal), [project, runId]);
  const href = runLink(project, runId);
  if (error && isNotFound(error))
    return (
      <p className="muted small">
        Run <code>{runId}</code> no longer exists in {project}.
      </p>
    );
  if (error) return <ErrorMessage error={error} compact />;
  const metrics = Object.entries(run?.summary ?? {})
    .filter(([k, v]) => !k.startsWith("_") && (typeof v === "number" || typeof v === "string"))
    .slice(0, MAX_METRICS);
  return (
    <div className="run-summary" data-testid="source-run">
      <div className="run-summary-head">
        <Link to={href} data-testid="source-run-link" className="strong-link">
          {run?.name || runId}
        </Link>
        {run ? <StateBadge state={run.state} /> : null}
        <span className="muted small mono">{runId}</span>
      </div>
      {metrics.length > 0 ? (
        <dl className="metric-list">
          {metrics.map(([k, v]) => (
            <div key={k} className="metric-item">
              <dt className="mono">{k}</dt>
              <dd className="mono">{formatValue(v)}</dd>
            </div>
          ))}
        </dl>
      ) : run ? (
        <p className="muted small">The run logged no summary metrics.</p>
      ) : null}
      <Link to={href} className="small" data-testid="run-metrics-link">
        Open the run's charts and metrics →
      </Link>
    </div>
  );
}
