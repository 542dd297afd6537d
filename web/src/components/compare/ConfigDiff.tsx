/** Config side by side for the compared runs: only the differing keys unless asked for all. */
import type { Run } from "../../api/types";
import { colorFor } from "../../lib/colors";
import type { DiffRow } from "../../lib/config";
import { formatValue } from "../../lib/format";
import { Link, runPagePath } from "../../router";
import { Swatch } from "../common";

interface Props {
  runs: Run[];
  rows: DiffRow[];
  showAll: boolean;
  onShowAll: (all: boolean) => void;
}

export function ConfigDiff({ runs, rows, showAll, onShowAll }: Props) {
  const differing = rows.filter((r) => r.differs).length;
  const shown = showAll ? rows : rows.filter((r) => r.differs);
  return (
    <div className="card config-diff" data-testid="config-diff">
      <div className="card-title">
        <h3>Config</h3>
        <span className="muted small">
          {differing} of {rows.length} keys differ
        </span>
        <label className="control checkbox right">
          <input type="checkbox" checked={showAll} onChange={(e) => onShowAll(e.target.checked)} />
          <span>Show all keys</span>
        </label>
      </div>
      <div className="diff-scroll">
        <table className="diff-table">
          <thead>
            <tr>
              <th>Key</th>
              {runs.map((r) => (
                <th key={r.id}>
                  <Swatch color={colorFor(r.id)} />{" "}
                  <Link to={runPagePath(r.project, r.id)} data-testid="run-name">
                    {r.name || r.id}
                  </Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={runs.length + 1} className="muted">
                  {rows.length === 0 ? "None of these runs logged a config." : "The configs are identical."}
                </td>
              </tr>
            )}
            {shown.map((row) => (
              <tr key={row.key} className={row.differs ? "differs" : ""} data-differs={row.differs}>
                <td className="mono key">{row.key}</td>
                {row.values.map((v, i) => (
                  <td key={i} className={v === undefined ? "mono missing" : "mono"}>
                    {v === undefined ? "—" : formatValue(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
