/** Panel search, smoothing, x-axis and log-scale controls above the charts. */
import { useEffect, useState } from "react";
import { CHART_X_MODES, type ChartState, type XAxis } from "../../lib/urlState";

const X_LABELS: Record<XAxis, string> = {
  step: "Step",
  time: "Wall time",
  relative: "Relative time",
  elapsed: "Elapsed time",
};

interface Props {
  chart: ChartState;
  onChange: (patch: Partial<ChartState>) => void;
  searchError: string | null;
  slashFocus?: boolean;
  /** The x modes offered (the System tab adds "elapsed"). */
  xModes?: readonly XAxis[];
}

export function ChartControls({ chart, onChange, searchError, slashFocus, xModes = CHART_X_MODES }: Props) {
  const [search, setSearch] = useState(chart.panelSearch);
  useEffect(() => setSearch(chart.panelSearch), [chart.panelSearch]);
  useEffect(() => {
    if (search === chart.panelSearch) return;
    const t = window.setTimeout(() => onChange({ panelSearch: search }), 250);
    return () => window.clearTimeout(t);
  }, [search, chart.panelSearch, onChange]);

  return (
    <div className="chart-controls">
      <div className="field grow">
        <input
          type="search"
          className={searchError ? "input invalid" : "input"}
          placeholder="Filter charts by key (regex)"
          aria-label="Filter charts by key (regular expression)"
          data-testid="panel-search"
          data-slash-focus={slashFocus ? "" : undefined}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") onChange({ panelSearch: search });
          }}
        />
        {searchError && <div className="field-error">{searchError}</div>}
      </div>
      <label className="control" title="Exponential moving average, debiased (as in TensorBoard)">
        <span>Smoothing</span>
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={chart.smoothing}
          data-testid="smoothing"
          onChange={(e) => onChange({ smoothing: Number(e.target.value) })}
        />
        <span className="mono small value">{chart.smoothing.toFixed(2)}</span>
      </label>
      <label className="control">
        <span>X axis</span>
        <select
          className="input select"
          value={chart.xAxis}
          data-testid="x-axis"
          onChange={(e) => onChange({ xAxis: e.target.value as XAxis })}
        >
          {xModes.map((m) => (
            <option key={m} value={m}>
              {X_LABELS[m]}
            </option>
          ))}
        </select>
      </label>
      <label className="control checkbox">
        <input type="checkbox" checked={chart.logScale} data-testid="log-scale" onChange={(e) => onChange({ logScale: e.target.checked })} />
        <span>Log scale</span>
      </label>
    </div>
  );
}
