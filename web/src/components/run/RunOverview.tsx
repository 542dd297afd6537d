/** The facts of a run: state, times, host, exit code and error (code and environment have their own cards). */
import type { Run } from "../../api/types";
import { formatDate, formatDuration } from "../../lib/format";
import { StateBadge } from "../common";

export function RunOverview({ run, now }: { run: Run; now: number }) {
  const md = run.metadata ?? {};
  const duration = run.state === "running" ? now - run.created : run.duration;
  const rows: [string, string | null | undefined][] = [
    ["Run id", run.id],
    ["Created", formatDate(run.created, true)],
    ["Ended", run.ended ? formatDate(run.ended, true) : run.state === "running" ? "still running" : null],
    ["Runtime", formatDuration(duration)],
    ["Last step", run.last_step === null ? null : run.last_step.toLocaleString("en-US")],
    ["Host", run.host],
    ["User", typeof md.user === "string" ? md.user : null],
    ["Group", run.group],
    ["Job type", run.job_type],
    ["Exit code", run.exit_code === null ? null : String(run.exit_code)],
    ["Last heartbeat", run.state === "running" && run.heartbeat ? formatDate(run.heartbeat, true) : null],
  ];
  return (
    <div className="card run-overview" data-testid="run-overview">
      <div className="card-title">
        <h3>Overview</h3>
        <StateBadge state={run.state} />
      </div>
      <dl className="facts">
        {rows
          .filter(([, v]) => v !== null && v !== undefined && v !== "")
          .map(([k, v]) => (
            <div key={k} className="fact">
              <dt>{k}</dt>
              <dd className={k === "Run id" ? "mono" : ""}>{v}</dd>
            </div>
          ))}
      </dl>
      {run.error && (
        <div className="fact-block">
          <div className="label error-text">Error</div>
          <pre className="code error-code">{run.error}</pre>
        </div>
      )}
    </div>
  );
}
