/** Shapes of the REST API's JSON (see /api/v1/openapi.json). Times are epoch seconds. */

export type RunState = "running" | "finished" | "failed" | "crashed" | "killed";

export interface Project {
  name: string;
  description: string;
  created: number;
  updated: number;
  run_count: number;
  last_activity: number | null;
}

export interface Run {
  id: string;
  project: string;
  name: string;
  state: RunState;
  config: Record<string, unknown>;
  summary: Record<string, unknown>;
  tags: string[];
  properties: Record<string, string>;
  notes: string;
  group: string | null;
  job_type: string | null;
  host: string | null;
  metadata: Record<string, unknown>;
  created: number;
  updated: number;
  ended: number | null;
  heartbeat: number | null;
  duration: number | null;
  exit_code: number | null;
  error: string | null;
  last_step: number | null;
}

export interface RunsPage {
  runs: Run[];
  total: number;
  next_offset: number | null;
}

export interface MetricStats {
  n: number;
  nf: number;
  min: number | string | null;
  max: number | string | null;
  sum: number | string | null;
  first: number | string | null;
  first_step: number | null;
  last: number | string | null;
  last_step: number | null;
  last_time: number | null;
}

export interface MetricInfo {
  key: string;
  summary: string;
  stats: MetricStats;
}

export interface SeriesResponse {
  key: string;
  count: number;
  bucketed: boolean;
  steps: number[];
  times: number[];
  values: unknown[];
}

export interface BatchSeries extends SeriesResponse {
  run: string;
}

export interface Columns {
  config: string[];
  summary: string[];
  properties: string[];
}

export interface RunPatch {
  name?: string;
  tags?: string[];
  notes?: string;
  state?: RunState;
}
