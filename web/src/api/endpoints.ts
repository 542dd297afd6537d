/**
 * Typed calls to the API. The batch endpoints (series, metric-keys, columns) are newer than
 * the per-run ones; when the server answers "no such endpoint" we fall back to per-run calls.
 */
import { flattenConfig } from "../lib/config";
import { ApiError, get, isMissingEndpoint, post, request } from "./client";
import type { BatchSeries, Columns, MetricInfo, Project, Run, RunPatch, RunsPage, SeriesResponse } from "./types";

const P = (project: string) => `/api/v1/projects/${encodeURIComponent(project)}`;
const R = (project: string, run: string) => `${P(project)}/runs/${encodeURIComponent(run)}`;

export function listProjects(search: string, signal?: AbortSignal): Promise<{ projects: Project[] }> {
  return get("/api/v1/projects", { search }, signal);
}

export interface RunsQuery {
  filter?: string;
  order?: string;
  limit?: number;
  offset?: number;
}

export function searchRuns(project: string, q: RunsQuery, signal?: AbortSignal): Promise<RunsPage> {
  const body = { filter: q.filter || null, order: q.order || null, limit: q.limit ?? 1000, offset: q.offset ?? 0 };
  return post(`${P(project)}/runs/search`, body, signal);
}

export function getRun(project: string, run: string, signal?: AbortSignal): Promise<Run> {
  return get(R(project, run), undefined, signal);
}

export function patchRun(project: string, run: string, patch: RunPatch): Promise<Run> {
  return request("PATCH", R(project, run), { body: patch });
}

export function runMetrics(project: string, run: string, signal?: AbortSignal): Promise<{ metrics: MetricInfo[] }> {
  return get(`${R(project, run)}/metrics`, undefined, signal);
}

export interface SeriesQuery {
  runs: string[];
  keys: string[];
  buckets: number | null;
  minStep: number | null;
  maxStep: number | null;
}

let batchSeriesMissing = false;
let metricKeysMissing = false;
let columnsMissing = false;

/** Run many async tasks with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Series of every (run, key); absent pairs are simply missing from the result. */
export async function fetchSeries(project: string, q: SeriesQuery, signal?: AbortSignal): Promise<BatchSeries[]> {
  if (q.runs.length === 0 || q.keys.length === 0) return [];
  if (!batchSeriesMissing) {
    try {
      const requests = chunk(q.runs, 100).flatMap((runs) => chunk(q.keys, 500).map((keys) => ({ runs, keys })));
      const parts = await pool(requests, 4, (r) =>
        post<{ series: BatchSeries[] }>(
          `${P(project)}/series`,
          { runs: r.runs, keys: r.keys, buckets: q.buckets, min_step: q.minStep, max_step: q.maxStep },
          signal,
        ),
      );
      return parts.flatMap((p) => p.series);
    } catch (e) {
      if (!isMissingEndpoint(e)) throw e;
      batchSeriesMissing = true;
    }
  }
  const pairs = q.runs.flatMap((run) => q.keys.map((key) => ({ run, key })));
  const results = await pool(pairs, 6, async ({ run, key }) => {
    try {
      const s = await get<SeriesResponse>(
        `${R(project, run)}/series`,
        { key, buckets: q.buckets, min_step: q.minStep, max_step: q.maxStep },
        signal,
      );
      return { ...s, run };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  });
  return results.filter((s): s is BatchSeries => s !== null && s.steps.length > 0);
}

/** Union of metric keys of the runs, with how many runs have each. */
export async function fetchMetricKeys(project: string, runs: string[], signal?: AbortSignal): Promise<{ key: string; runs: number }[]> {
  if (runs.length === 0) return [];
  if (!metricKeysMissing) {
    try {
      const r = await post<{ keys: { key: string; runs: number }[] }>(`${P(project)}/metric-keys`, { runs }, signal);
      return r.keys;
    } catch (e) {
      if (!isMissingEndpoint(e)) throw e;
      metricKeysMissing = true;
    }
  }
  const counts = new Map<string, number>();
  const lists = await pool(runs, 6, (id) => runMetrics(project, id, signal).catch(() => ({ metrics: [] as MetricInfo[] })));
  for (const l of lists) for (const m of l.metrics) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  return [...counts.entries()].map(([key, n]) => ({ key, runs: n }));
}

/** Config paths, summary keys and property names present in the project. */
export async function fetchColumns(project: string, fallbackRuns: readonly Run[], signal?: AbortSignal): Promise<Columns> {
  if (!columnsMissing) {
    try {
      return await get<Columns>(`${P(project)}/columns`, undefined, signal);
    } catch (e) {
      if (!isMissingEndpoint(e)) throw e;
      columnsMissing = true;
    }
  }
  return columnsFromRuns(fallbackRuns);
}

export function columnsFromRuns(runs: readonly Run[]): Columns {
  const config = new Set<string>();
  const summary = new Set<string>();
  const properties = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(flattenConfig(r.config))) config.add(k);
    for (const k of Object.keys(r.summary ?? {})) summary.add(k);
    for (const k of Object.keys(r.properties ?? {})) properties.add(k);
  }
  const sort = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return { config: sort(config), summary: sort(summary), properties: sort(properties) };
}

/** An optional per-run resource (logs, files, …): null when the server has none yet. */
export async function fetchOptional<T>(path: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await get<T>(path, undefined, signal);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501)) return null;
    throw e;
  }
}

export const runPath = R;
