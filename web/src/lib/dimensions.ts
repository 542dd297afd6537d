/** Axes for parallel coordinates and scatter plots: numeric (linear/log) or categorical. */
import { toNumber } from "./format";
import { extent, linearScale, logScale, prefersLog } from "./scales";

export interface Dim {
  id: string;
  label: string;
  kind: "num" | "cat";
  values: (number | string | null)[];
  domain: [number, number] | null; // num
  categories: string[]; // cat
  log: boolean;
}

function norm(v: unknown): number | string | null {
  if (v === undefined || v === null) return null;
  const n = toNumber(v);
  if (n !== null) return Number.isFinite(n) ? n : null;
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  return JSON.stringify(v);
}

export function buildDim(id: string, label: string, raw: readonly unknown[], pad = 0): Dim {
  const values = raw.map(norm);
  const present = values.filter((v) => v !== null);
  const numeric = present.length > 0 && present.every((v) => typeof v === "number");
  if (numeric) {
    const log = prefersLog(present);
    let domain = extent(present as number[], log ? 0 : pad);
    if (log && domain && pad > 0) {
      const f = Math.pow(domain[1] / domain[0], pad);
      domain = [domain[0] / f, domain[1] * f];
    }
    return { id, label, kind: "num", values, domain, categories: [], log };
  }
  const categories = [...new Set(present.map(String))].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return { id, label, kind: "cat", values: values.map((v) => (v === null ? null : String(v))), domain: null, categories, log: false };
}

/** Pixel position of a value on the axis spanning [start, end] (start = bottom). */
export function positionOf(dim: Dim, v: number | string | null, start: number, end: number): number | null {
  if (v === null) return null;
  if (dim.kind === "num") {
    if (typeof v !== "number" || !dim.domain) return null;
    const s = dim.log ? logScale(dim.domain, [start, end]) : linearScale(dim.domain, [start, end]);
    return s(v);
  }
  const i = dim.categories.indexOf(String(v));
  if (i < 0) return null;
  const n = dim.categories.length;
  return n === 1 ? (start + end) / 2 : start + (i / (n - 1)) * (end - start);
}
