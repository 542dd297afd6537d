/** Where a run ran: Python, platform, host, CPUs, GPUs, then its packages and environment variables. */
import { useMemo, useState } from "react";
import { formatCount } from "../../lib/format";
import { describeGpus, type EnvironmentView } from "../../lib/runMetadata";
import "../../styles/capture.css";

function Fact({ label, value, mono, testId }: { label: string; value: string | null; mono?: boolean; testId?: string }) {
  if (!value) return null;
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd className={mono ? "mono" : ""} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

function Packages({ packages }: { packages: [string, string][] }) {
  const [query, setQuery] = useState("");
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return q ? packages.filter(([name, version]) => name.toLowerCase().includes(q) || version.toLowerCase().includes(q)) : packages;
  }, [packages, query]);
  return (
    <div className="env-section">
      <div className="env-section-head">
        <h4>Packages</h4>
        <span className="count" data-testid="package-count">
          {query ? `${formatCount(shown.length)} of ${formatCount(packages.length)}` : formatCount(packages.length)}
        </span>
        <input
          type="search"
          className="input small-input env-filter"
          placeholder="Find a package"
          aria-label="Find a package"
          data-testid="package-search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </div>
      <div className="env-table-wrap">
        <table className="summary-table env-table" data-testid="package-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {shown.map(([name, version]) => (
              <tr key={name} data-testid="package-row" data-name={name}>
                <td className="mono">{name}</td>
                <td className="mono">{version}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p className="muted small env-none">No package matches “{query}”.</p>}
      </div>
    </div>
  );
}

function EnvVars({ env }: { env: [string, string][] }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="env-section">
      <button type="button" className="env-section-head env-toggle" aria-expanded={open} data-testid="env-vars-toggle" onClick={() => setOpen(!open)}>
        <span className={open ? "chevron open" : "chevron"} aria-hidden="true">
          ▸
        </span>
        <h4>Environment variables</h4>
        <span className="count">{formatCount(env.length)}</span>
      </button>
      {open && (
        <div className="env-table-wrap">
          <table className="summary-table env-table" data-testid="env-vars">
            <tbody>
              {env.map(([name, value]) => (
                <tr key={name} data-testid="env-var" data-name={name}>
                  <td className="mono env-name">{name}</td>
                  <td className={value === "[redacted]" ? "mono muted" : "mono env-value"}>{value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function EnvironmentCard({ env }: { env: EnvironmentView | null }) {
  return (
    <div className="card env-card" data-testid="environment-card">
      <div className="card-title">
        <h3>Environment</h3>
      </div>
      {!env ? (
        <p className="muted not-captured" data-testid="not-captured">
          Not captured. The SDK records Python, the platform, the host, GPUs, installed packages and selected environment
          variables unless <code>TRAILMARK_CAPTURE_ENV=false</code> or <code>init(capture_env=False)</code>.
        </p>
      ) : (
        <>
          <dl className="facts">
            <Fact label="Python" value={env.python} testId="env-python" />
            <Fact label="Platform" value={env.platform} testId="env-platform" />
            <Fact label="Host" value={env.hostname} testId="env-host" />
            <Fact label="User" value={env.user} />
            <Fact label="CPUs" value={env.cpus} testId="env-cpus" />
            <Fact label="Memory" value={env.memory} />
            <Fact label="Architecture" value={env.machine} />
            {env.gpus.length > 0 && (
              <div className="fact">
                <dt>GPUs</dt>
                <dd data-testid="env-gpus">
                  {describeGpus(env.gpus).map((g) => (
                    <div key={g}>{g}</div>
                  ))}
                </dd>
              </div>
            )}
            <Fact label="GPU driver" value={env.gpuDriver} />
            <Fact label="CUDA (driver)" value={env.cudaDriver} testId="env-cuda" />
            <Fact label="CUDA (torch)" value={env.cuda} />
          </dl>
          {env.executable && (
            <div className="fact-block">
              <div className="label">Interpreter</div>
              <div className="mono small">{env.executable}</div>
            </div>
          )}
          {env.packages ? (
            <Packages packages={env.packages} />
          ) : (
            <p className="muted small not-captured">Installed packages: not captured.</p>
          )}
          {env.env ? (
            env.env.length ? (
              <EnvVars env={env.env} />
            ) : (
              <p className="muted small">No environment variable worth recording was set.</p>
            )
          ) : (
            <p className="muted small not-captured">Environment variables: not captured.</p>
          )}
        </>
      )}
    </div>
  );
}
