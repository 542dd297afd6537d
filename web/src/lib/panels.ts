/** Grouping metric keys into chart sections by their prefix (train/, val/, system/, …). */

export interface PanelSection {
  prefix: string; // text before the first "/", or "" for keys without one
  title: string;
  keys: string[];
}

const FIRST = ["train", "val", "valid", "validation", "eval", "test"];

export function prefixOf(key: string): string {
  const i = key.indexOf("/");
  return i > 0 ? key.slice(0, i) : "";
}

function sectionRank(prefix: string): [number, string] {
  if (prefix === "system") return [3, prefix];
  if (prefix === "") return [2, prefix];
  const i = FIRST.indexOf(prefix.toLowerCase());
  return i >= 0 ? [0, String(i).padStart(2, "0")] : [1, prefix.toLowerCase()];
}

export function groupPanels(keys: readonly string[], search: RegExp | null = null): PanelSection[] {
  const byPrefix = new Map<string, string[]>();
  for (const key of keys) {
    if (search && !search.test(key)) continue;
    const p = prefixOf(key);
    const list = byPrefix.get(p) ?? [];
    list.push(key);
    byPrefix.set(p, list);
  }
  const sections = [...byPrefix.entries()].map(([prefix, list]) => ({
    prefix,
    title: prefix === "" ? "Charts" : prefix,
    keys: list.sort((a, b) => a.localeCompare(b, "en", { numeric: true })),
  }));
  sections.sort((a, b) => {
    const [ra, na] = sectionRank(a.prefix);
    const [rb, nb] = sectionRank(b.prefix);
    return ra - rb || na.localeCompare(nb);
  });
  return sections;
}
