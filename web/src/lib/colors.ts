/**
 * A stable colour per run: the run id is hashed into a palette chosen to stay readable on
 * both light and dark backgrounds, so a run keeps its colour across pages and reloads.
 */
export const PALETTE: readonly string[] = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#3b82f6",
  "#a855f7", "#14b8a6", "#f97316", "#84cc16", "#ec4899",
  "#06b6d4", "#eab308", "#6366f1", "#22c55e", "#d946ef",
];

/** FNV-1a 32-bit hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function colorFor(id: string): string {
  return PALETTE[hashString(id) % PALETTE.length] as string;
}

/** The colour with an alpha channel, for faint raw lines and bands. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  const n = parseInt(m[1] as string, 16);
  const a = Math.min(Math.max(alpha, 0), 1);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}
