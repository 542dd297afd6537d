/** Grouping runs by a field, and deciding which runs the charts show. */
import { getPath } from "./config";
import { formatValue } from "./format";

export interface RunLike {
  id: string;
  state: string;
  group: string | null;
  job_type: string | null;
  host: string | null;
  config: Record<string, unknown>;
}

export const GROUP_FIELDS = ["group", "job_type", "state", "host"] as const;

export function groupValue(run: RunLike, field: string): unknown {
  if (field.startsWith("config.")) return getPath(run.config, field.slice("config.".length));
  if ((GROUP_FIELDS as readonly string[]).includes(field)) return run[field as (typeof GROUP_FIELDS)[number]];
  return undefined;
}

export interface RunGroup<R> {
  id: string; // stable id for colours and collapse state
  label: string;
  runs: R[];
}

/** Groups in order of first appearance (so they follow the table's sort). */
export function groupRuns<R extends RunLike>(runs: readonly R[], field: string): RunGroup<R>[] {
  const groups = new Map<string, RunGroup<R>>();
  for (const r of runs) {
    const v = groupValue(r, field);
    const missing = v === undefined || v === null || v === "";
    const id = missing ? "\u0000none" : JSON.stringify(v);
    let g = groups.get(id);
    if (!g) {
      g = { id: `${field}=${id}`, label: missing ? "(none)" : formatValue(v), runs: [] };
      groups.set(id, g);
    }
    g.runs.push(r);
  }
  return [...groups.values()];
}

export interface VisibilityInput {
  ordered: readonly string[]; // run ids in table order (loaded ones)
  top: number;
  shown: readonly string[];
  hidden: readonly string[];
  grouped: boolean;
  max: number;
}

/** Ids drawn in the charts: the first `top` runs (all when grouped) plus shown, minus hidden. */
export function visibleRunIds(v: VisibilityInput): string[] {
  const hidden = new Set(v.hidden);
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (id: string) => {
    if (out.length >= v.max || hidden.has(id) || seen.has(id)) return;
    seen.add(id);
    out.push(id);
  };
  const base = v.grouped ? v.ordered : v.ordered.slice(0, v.top);
  for (const id of base) add(id);
  for (const id of v.shown) add(id);
  return out;
}

/** The shown/hidden lists after flipping one run's eye. */
export function toggleVisibility(
  id: string,
  isDefault: boolean,
  visible: boolean,
  shown: readonly string[],
  hidden: readonly string[],
): { shown: string[]; hidden: string[] } {
  const s = shown.filter((x) => x !== id);
  const h = hidden.filter((x) => x !== id);
  if (visible) {
    if (isDefault) h.push(id);
  } else if (!isDefault) s.push(id);
  return { shown: s, hidden: h };
}
