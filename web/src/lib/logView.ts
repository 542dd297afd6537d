/**
 * The console viewer's logic: its view state in the URL, merging pages of lines, terminal
 * escapes removed, search matches split out for highlighting, times of lines, the log as text.
 */
import type { LogLine, LogStream } from "../api/runCapture";
import { formatElapsed } from "./format";
import { setOrDelete } from "./urlState";

export type LogTimeMode = "relative" | "clock";

export interface LogViewState {
  search: string;
  stream: LogStream | null;
  rank: number | null;
  time: LogTimeMode;
}

export const DEFAULT_LOG_VIEW: LogViewState = { search: "", stream: null, rank: null, time: "relative" };

/** URL parameters: `lq` (search), `stream` (stdout|stderr), `rank`, `ltime=clock`. */
export function decodeLogView(params: URLSearchParams): LogViewState {
  const stream = params.get("stream");
  const rank = params.get("rank");
  const rankNumber = rank !== null && /^\d+$/.test(rank) ? Number(rank) : null;
  return {
    search: params.get("lq") ?? "",
    stream: stream === "stdout" || stream === "stderr" ? stream : null,
    rank: rankNumber,
    time: params.get("ltime") === "clock" ? "clock" : "relative",
  };
}

export function encodeLogView(s: LogViewState, params: URLSearchParams): void {
  setOrDelete(params, "lq", s.search);
  setOrDelete(params, "stream", s.stream ?? "");
  setOrDelete(params, "rank", s.rank === null ? "" : String(s.rank));
  setOrDelete(params, "ltime", s.time === "clock" ? "clock" : "");
}

/** Lines of both lists once each, ordered by number (pages come before, after or overlapping). */
export function mergeLines(old: readonly LogLine[], incoming: readonly LogLine[]): LogLine[] {
  if (incoming.length === 0) return old as LogLine[];
  if (old.length === 0) return incoming as LogLine[];
  const oldFirst = (old[0] as LogLine).n;
  const oldLast = (old[old.length - 1] as LogLine).n;
  const inFirst = (incoming[0] as LogLine).n;
  const inLast = (incoming[incoming.length - 1] as LogLine).n;
  if (inFirst > oldLast) return old.concat(incoming);
  if (inLast < oldFirst) return incoming.concat(old);
  const byN = new Map<number, LogLine>();
  for (const l of old) byN.set(l.n, l);
  for (const l of incoming) byN.set(l.n, l);
  return [...byN.values()].sort((a, b) => a.n - b.n);
}

// CSI (colours, cursor moves), OSC (titles, links) and other two-character escapes.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** The text a terminal would show: escape sequences and control characters removed. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (!/[\u0000-\u0008\u000b-\u001f\u007f\u009b]/.test(text)) return text;
  return text.replace(ESCAPES, "").replace(CONTROLS, "");
}

export interface TextPart {
  text: string;
  match: boolean;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A matcher for a case-insensitive substring (as the server's search), or null for "". */
export function searchPattern(needle: string): RegExp | null {
  return needle ? new RegExp(escapeRegex(needle), "gi") : null;
}

/** `text` cut into pieces, those matching `pattern` marked (to render as <mark>). */
export function highlightParts(text: string, pattern: RegExp | null): TextPart[] {
  if (!pattern) return [{ text, match: false }];
  const parts: TextPart[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0] === "") {
      pattern.lastIndex++;
      continue;
    }
    if (m.index > last) parts.push({ text: text.slice(last, m.index), match: false });
    parts.push({ text: m[0], match: true });
    last = m.index + m[0].length;
  }
  if (last < text.length || parts.length === 0) parts.push({ text: text.slice(last), match: false });
  return parts;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** A line's time: "+1:05" since the run started, or the local clock "14:05:09". */
export function formatLogTime(time: number, start: number, mode: LogTimeMode): string {
  if (mode === "clock") {
    const t = new Date(time * 1000);
    return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
  }
  const d = time - start;
  return d < 0 ? `-${formatElapsed(Math.ceil(-d))}` : `+${formatElapsed(Math.floor(d))}`;
}

/** The full timestamp of a line, for its tooltip: "2026-01-31 14:05:09.123". */
export function formatLogTimestamp(time: number): string {
  const t = new Date(time * 1000);
  return (
    `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`
  );
}

/** The ranks worth a column: those of the run's metadata and of the lines loaded. */
export function knownRanks(fromMetadata: readonly number[], lines: readonly LogLine[]): number[] {
  const ranks = new Set(fromMetadata);
  for (const l of lines) ranks.add(l.rank ?? 0);
  return [...ranks].sort((a, b) => a - b);
}
