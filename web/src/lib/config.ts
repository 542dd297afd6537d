/** Flattening nested config objects into dotted paths, and diffing configs of several runs. */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** {"model": {"layers": 4}} → {"model.layers": 4}. Arrays and empty objects are leaves. */
export function flattenConfig(obj: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (!isPlainObject(obj)) {
    if (prefix) out[prefix] = obj;
    return out;
  }
  const keys = Object.keys(obj);
  if (keys.length === 0 && prefix) {
    out[prefix] = {};
    return out;
  }
  for (const k of keys) flattenConfig(obj[k], prefix ? `${prefix}.${k}` : k, out);
  return out;
}

/** Look up a dotted path in a nested object (also accepts a key that itself contains dots). */
export function getPath(obj: unknown, path: string): unknown {
  if (!isPlainObject(obj)) return undefined;
  if (path in obj) return obj[path];
  const parts = path.split(".");
  for (let i = 1; i < parts.length; i++) {
    const head = parts.slice(0, i).join(".");
    if (head in obj) {
      const found = getPath(obj[head], parts.slice(i).join("."));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Equality of JSON values, key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

export interface DiffRow {
  key: string;
  values: unknown[]; // one per run, undefined when the run lacks the key
  differs: boolean;
}

/** One row per flattened key across all configs, marking the keys whose values differ. */
export function diffConfigs(configs: readonly unknown[]): DiffRow[] {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = new Set<string>();
  for (const f of flat) for (const k of Object.keys(f)) keys.add(k);
  return [...keys].sort(compareKeys).map((key) => {
    const values = flat.map((f) => (key in f ? f[key] : undefined));
    const first = values[0];
    const differs = values.some((v) => !jsonEqual(v, first));
    return { key, values, differs };
  });
}

/** Sort keys naturally: "layer2" before "layer10". */
export function compareKeys(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true, sensitivity: "base" });
}
