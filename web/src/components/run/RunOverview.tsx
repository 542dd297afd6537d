/** The facts of a run: state, times, host, command, exit code and error. */
import type { Run } from "../../api/types";
import { formatDate, formatDuration } from "../../lib/format";
import { StateBadge } from "../common";

function commandText(cmd: unknown): string | null {
  if (Array.isArray(cmd)) return cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(String(a)) ? String(a) : `'${String(a).replace(/'/g, "'\\''")}'`)).join(" ");
  return typeof cmd === "string" ? cmd : null;
}

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
    ["Python", typeof md.python === "string" ? md.python : null],
    ["Platform", typeof md.platform === "string" ? md.platform : null],
    ["Directory", typeof md.cwd === "string" ? md.cwd : null],
    ["Group", run.group],
    ["Job type", run.job_type],
    ["Exit code", run.exit_code === null ? null : String(run.exit_code)],
    ["Last heartbeat", run.state === "running" && run.heartbeat ? formatDate(run.heartbeat, true) : null],
  ];
  const cmd = commandText(md.command);
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
              <dd className={k === "Run id" || k === "Directory" ? "mono" : ""}>{v}</dd>
            </div>
          ))}
      </dl>
      {cmd && (
        <div className="fact-block">
          <div className="label">Command</div>
          <pre className="code small">{cmd}</pre>
        </div>
      )}
      {run.error && (
        <div className="fact-block">
          <div className="label error-text">Error</div>
          <pre className="code error-code">{run.error}</pre>
        </div>
      )}
    </div>
  );
}
