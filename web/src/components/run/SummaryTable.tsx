/** A run's summary values, with min / max / count from its metrics where known. */
import { useState } from "react";
import type { MetricInfo } from "../../api/types";
import { compareKeys } from "../../lib/config";
import { formatCount, formatValue } from "../../lib/format";

export function SummaryTable({ summary, metrics }: { summary: Record<string, unknown>; metrics: MetricInfo[] }) {
  const [query, setQuery] = useState("");
  const stats = new Map(metrics.map((m) => [m.key, m.stats]));
  const keys = Object.keys(summary ?? {})
    .filter((k) => !query || k.toLowerCase().includes(query.toLowerCase()))
    .sort(compareKeys);
  return (
    <div className="summary-wrap">
      {Object.keys(summary ?? {}).length > 8 && (
        <input className="input small-input" type="search" placeholder="Search summary" value={query} onChange={(e) => setQuery(e.target.value)} />
      )}
      <table className="summary-table" data-testid="summary-table">
        <thead>
          <tr>
            <th>Key</th>
            <th className="num">Value</th>
            <th className="num">Min</th>
            <th className="num">Max</th>
            <th className="num">Points</th>
          </tr>
        </thead>
        <tbody>
          {keys.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                {query ? "No key matches." : "No summary yet: it fills in as the run logs metrics."}
              </td>
            </tr>
          )}
          {keys.map((k) => {
            const s = stats.get(k);
            return (
              <tr key={k}>
                <td className="mono">{k}</td>
                <td className="num mono">{formatValue(summary[k])}</td>
                <td className="num mono muted">{s ? formatValue(s.min) : ""}</td>
                <td className="num mono muted">{s ? formatValue(s.max) : ""}</td>
                <td className="num muted">{s ? formatCount(s.n) : ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
