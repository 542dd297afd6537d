/**
 * The view state of the workspace and compare pages, kept in the URL query string so a link
 * reproduces the view. Defaults are left out of the URL to keep links short.
 */

/** "elapsed": steps read as milliseconds since the run started (the steps of system metrics). */
export type XAxis = "step" | "time" | "relative" | "elapsed";
/** The x modes of metric charts; the run page's System tab adds "elapsed" and makes it the default. */
export const CHART_X_MODES: readonly XAxis[] = ["step", "time", "relative"];
export const SYSTEM_X_MODES: readonly XAxis[] = ["elapsed", "relative", "time", "step"];
export type Theme = "light" | "dark";

export interface ChartState {
  smoothing: number; // 0 … 0.99
  xAxis: XAxis;
  logScale: boolean;
  zoom: [number, number] | null; // step range
  panelSearch: string;
  collapsed: string[]; // panel sections collapsed
}

export interface WorkspaceState extends ChartState {
  filter: string;
  order: string; // API order expression, "" = newest first
  group: string; // "" or a field: "group", "job_type", "state", "config.<path>"
  top: number; // the first N runs of the table are shown in charts by default
  hidden: string[]; // run ids hidden although in the first N
  shown: string[]; // run ids shown although not in the first N
  selected: string[];
  columns: string[]; // "config.<path>" or "summary.<key>"
}

export const DEFAULT_TOP = 10;
export const DEFAULT_ORDER = "-created";

export const DEFAULT_CHART_STATE: ChartState = {
  smoothing: 0,
  xAxis: "step",
  logScale: false,
  zoom: null,
  panelSearch: "",
  collapsed: [],
};

export const DEFAULT_WORKSPACE: WorkspaceState = {
  ...DEFAULT_CHART_STATE,
  filter: "",
  order: "",
  group: "",
  top: DEFAULT_TOP,
  hidden: [],
  shown: [],
  selected: [],
  columns: [],
};

/** Join list items with commas; commas and backslashes inside items are escaped with "\". */
/** The collapsed sections with `id` opened if it was collapsed, else collapsed. */
export function toggleCollapsed(collapsed: readonly string[], id: string): string[] {
  return collapsed.includes(id) ? collapsed.filter((c) => c !== id) : [...collapsed, id];
}

export function encodeList(items: readonly string[]): string {
  return items.map((s) => s.replace(/\\/g, "\\\\").replace(/,/g, "\\,")).join(",");
}

export function decodeList(text: string | null): string[] {
  if (!text) return [];
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length) {
      cur += text[i + 1];
      i++;
    } else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out.filter((s) => s !== "");
}

function num(text: string | null, fallback: number, min: number, max: number): number {
  if (text === null || text.trim() === "") return fallback;
  const n = Number(text);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(Math.max(n, min), max);
}

function decodeZoom(text: string | null): [number, number] | null {
  if (!text) return null;
  const m = /^(-?\d+)(?::|~|\.\.)(-?\d+)$/.exec(text);
  if (!m) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a < b ? [a, b] : null;
}

export function decodeChartState(params: URLSearchParams, xDefault: XAxis = "step", xModes: readonly XAxis[] = CHART_X_MODES): ChartState {
  const x = params.get("x");
  return {
    smoothing: num(params.get("smooth"), 0, 0, 0.99),
    xAxis: xModes.find((m) => m === x) ?? xDefault,
    logScale: params.get("log") === "1",
    zoom: decodeZoom(params.get("zoom")),
    panelSearch: params.get("q") ?? "",
    collapsed: decodeList(params.get("collapsed")),
  };
}

export function encodeChartState(s: ChartState, params: URLSearchParams, xDefault: XAxis = "step"): void {
  setOrDelete(params, "smooth", s.smoothing > 0 ? String(Math.round(s.smoothing * 100) / 100) : "");
  setOrDelete(params, "x", s.xAxis === xDefault ? "" : s.xAxis);
  setOrDelete(params, "log", s.logScale ? "1" : "");
  setOrDelete(params, "zoom", s.zoom ? `${Math.round(s.zoom[0])}:${Math.round(s.zoom[1])}` : "");
  setOrDelete(params, "q", s.panelSearch);
  setOrDelete(params, "collapsed", encodeList(s.collapsed));
}

export function decodeWorkspace(search: string): WorkspaceState {
  const p = new URLSearchParams(search);
  return {
    ...decodeChartState(p),
    filter: p.get("filter") ?? "",
    order: p.get("order") ?? "",
    group: p.get("group") ?? "",
    top: Math.round(num(p.get("top"), DEFAULT_TOP, 0, 100)),
    hidden: decodeList(p.get("hide")),
    shown: decodeList(p.get("show")),
    selected: decodeList(p.get("sel")),
    columns: decodeList(p.get("cols")),
  };
}

/** The query string for a state, keeping unrelated parameters of `base` (e.g. theme). */
export function encodeWorkspace(s: WorkspaceState, base = ""): string {
  const p = new URLSearchParams(base);
  setOrDelete(p, "filter", s.filter);
  setOrDelete(p, "order", s.order);
  setOrDelete(p, "group", s.group);
  setOrDelete(p, "top", s.top === DEFAULT_TOP ? "" : String(s.top));
  setOrDelete(p, "hide", encodeList(s.hidden));
  setOrDelete(p, "show", encodeList(s.shown));
  setOrDelete(p, "sel", encodeList(s.selected));
  setOrDelete(p, "cols", encodeList(s.columns));
  encodeChartState(s, p);
  return p.toString();
}

export function setOrDelete(p: URLSearchParams, key: string, value: string): void {
  if (value) p.set(key, value);
  else p.delete(key);
}

/** Parse an API order expression into (field, descending) pairs. */
export function parseOrder(order: string): { field: string; desc: boolean }[] {
  const out: string[] = [];
  let depth = false;
  let cur = "";
  for (const c of order) {
    if (c === "`") depth = !depth;
    if (c === "," && !depth) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.startsWith("-") ? { field: s.slice(1), desc: true } : { field: s.replace(/^\+/, ""), desc: false }));
}

export function formatOrder(items: readonly { field: string; desc: boolean }[]): string {
  return items.map((i) => (i.desc ? `-${i.field}` : i.field)).join(",");
}
