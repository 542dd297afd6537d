/**
 * What the SDK captures beside metrics: console lines (GET …/logs) and the shapes of the code
 * and environment metadata merged into GET …/runs/{id} (see trailmark/sdk/capture/*.py).
 */
import { buildUrl, get } from "./client";
import { runPath } from "./endpoints";

export type LogStream = "stdout" | "stderr";

/** One console line; `n` numbers the run's lines from 1 in the order the server got them. */
export interface LogLine {
  n: number;
  time: number;
  stream: LogStream;
  rank: number | null;
  text: string;
}

/** A page of lines, in order; `next` is the `after` of the following page, null when none. */
export interface LogsPage {
  lines: LogLine[];
  next: number | null;
}

export interface LogsQuery {
  after?: number | null;
  before?: number | null;
  limit?: number;
  search?: string;
  stream?: LogStream | null;
  rank?: number | null;
  /** The last `limit` matching lines instead of the first. */
  tail?: boolean;
}

/** The server's largest page (trailmark.limits.MAX_PAGE_SIZE). */
export const MAX_LOG_PAGE = 10_000;

export function fetchLogs(project: string, run: string, q: LogsQuery, signal?: AbortSignal): Promise<LogsPage> {
  return get<LogsPage>(
    `${runPath(project, run)}/logs`,
    {
      after: q.after ?? null,
      before: q.before ?? null,
      limit: q.limit ?? 1000,
      search: q.search || null,
      stream: q.stream ?? null,
      rank: q.rank ?? null,
      tail: q.tail ? "true" : null,
    },
    signal,
  );
}

/** The whole console output as a text file, streamed by the server (the Download button). */
export function logsTextUrl(project: string, run: string): string {
  return buildUrl(`${runPath(project, run)}/logs.txt`);
}

/** `metadata.git`, written by the SDK's code capture. */
export interface GitMetadata {
  root?: string;
  commit?: string | null;
  branch?: string | null;
  remote?: string | null;
  dirty?: boolean | null;
  /** `git diff HEAD`, kept beside the run and merged back only into the single run's view. */
  diff?: string;
  diff_cut?: boolean;
}

/** `metadata.host`: the machine of the run's main process. */
export interface HostMetadata {
  hostname?: string;
  user?: string | null;
  cpu_count?: number | null;
  cpu_count_physical?: number | null;
  memory_gib?: number | null;
  machine?: string;
  gpus?: { index: number; name?: string; memory_mib?: number }[];
  gpu_driver?: string;
  cuda_driver?: string;
  /** CUDA of the imported torch, when the program had imported it. */
  cuda?: string;
}

/** `metadata.environment`. */
export interface EnvironmentMetadata {
  python?: { version?: string; implementation?: string; executable?: string };
  platform?: string;
  /** Selected variables, secrets as "[redacted]". */
  env?: Record<string, string>;
  /** {name: version} of every installed distribution (bulky: only in the single run's view). */
  packages?: Record<string, string>;
}

/** The captured parts of `Run.metadata` (every field may be missing). */
export interface CaptureMetadata {
  python?: string;
  platform?: string;
  user?: string | null;
  command?: string[];
  cwd?: string;
  program?: string;
  args?: string[];
  git?: GitMetadata;
  host?: HostMetadata;
  environment?: EnvironmentMetadata;
  distributed?: { rank?: number | null; local_rank?: number | null; world_size?: number | null };
  /** Other processes of a distributed run: {rank: {host, state, …}}. */
  ranks?: Record<string, { host?: HostMetadata | string | null; state?: string } | undefined>;
}
