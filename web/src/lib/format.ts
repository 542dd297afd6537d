/** Number, time and duration formatting shared by the tables, tooltips and axes. */

export type JsonNumberish = number | "NaN" | "Infinity" | "-Infinity";

/** Turn an API value ("NaN", "Infinity", "-Infinity" or a number) into a JS number, or null. */
export function toNumber(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return null;
}

/** A compact, readable number: 4 significant digits, exponent notation for very large/small. */
export function formatNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "−∞";
  if (v === 0) return "0";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return v.toLocaleString("en-US");
  const abs = Math.abs(v);
  if (abs >= 1e6 || abs < 1e-3) {
    const [mant, exp] = v.toExponential(digits - 1).split("e");
    return `${trimZeros(mant ?? "")}e${Number(exp)}`;
  }
  return trimZeros(v.toPrecision(digits));
}

function trimZeros(s: string): string {
  if (!s.includes(".")) return s;
  return s.replace(/0+$/, "").replace(/\.$/, "");
}

/** Any JSON value as short display text (numbers formatted, objects as JSON). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  const n = toNumber(v);
  if (n !== null) return formatNumber(n);
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  return JSON.stringify(v);
}

/** Seconds as "1h 02m", "3m 12s", "4.2s", "120ms". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 0) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(sec).padStart(2, "0")}s`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", or a date for older times. */
export function formatRelative(epochSeconds: number | null | undefined, now = Date.now() / 1000): string {
  if (epochSeconds === null || epochSeconds === undefined) return "";
  const d = now - epochSeconds;
  if (d < 0) return formatDate(epochSeconds);
  if (d < 45) return "just now";
  if (d < 3600) return `${Math.max(1, Math.round(d / 60))} min ago`;
  if (d < 86400) return `${Math.round(d / 3600)} h ago`;
  if (d < 86400 * 30) {
    const days = Math.round(d / 86400);
    return `${days} day${days === 1 ? "" : "s"} ago`;
  }
  return formatDate(epochSeconds);
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Local date and time, "2026-01-31 14:05". */
export function formatDate(epochSeconds: number | null | undefined, withSeconds = false): string {
  if (epochSeconds === null || epochSeconds === undefined) return "";
  const t = new Date(epochSeconds * 1000);
  const base = `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${pad(t.getHours())}:${pad(t.getMinutes())}`;
  return withSeconds ? `${base}:${pad(t.getSeconds())}` : base;
}

/** An integer count with a thin separator: 12,345. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** Elapsed seconds as a clock: "0:07", "12:34", "1:02:03" (tenths for sub-second values under a minute). */
export function formatElapsed(seconds: number): string {
  if (!Number.isFinite(seconds)) return "";
  const negative = seconds < 0;
  const abs = Math.abs(seconds);
  const fractional = abs < 60 && Math.abs(abs - Math.round(abs)) >= 0.05;
  const whole = fractional ? Math.floor(abs) : Math.round(abs);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const sec = fractional ? `${String(s).padStart(2, "0")}.${Math.min(9, Math.floor((abs - whole) * 10))}` : String(s).padStart(2, "0");
  const text = h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  return negative && text !== "0:00" ? `-${text}` : text;
}
