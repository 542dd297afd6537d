/**
 * System metrics (`system/*` keys, sampled by the SDK) arranged for the System tab: sections
 * for CPU, memory, disk, network and GPUs, one panel per measurement, and in it one line per
 * GPU (`system/gpu.<i>.util`) and per rank (`…@rank<r>`), so eight GPUs make one chart of
 * eight lines rather than eight charts.
 *
 * Their steps are milliseconds since the run was created (the store files them so), which is
 * why the tab's x axis is elapsed time by default.
 */

export interface SystemSeries {
  key: string;
  /** "GPU 1", "rank 2", "GPU 0 · rank 8"; "" when the panel has one line. */
  label: string;
  gpu: number | null;
  rank: number | null;
}

export interface SystemPanel {
  /** "system/<measurement>", e.g. "system/gpu.util" (the data-key of the panel). */
  id: string;
  title: string;
  unit: string;
  series: SystemSeries[];
}

export type SystemSectionId = "cpu" | "memory" | "gpu" | "disk" | "network" | "other";

export interface SystemSection {
  id: SystemSectionId;
  title: string;
  panels: SystemPanel[];
}

const SECTIONS: { id: SystemSectionId; title: string; test: RegExp }[] = [
  { id: "cpu", title: "CPU", test: /^(proc\.)?cpu(\.|_|$)/ },
  { id: "memory", title: "Memory", test: /^(proc\.)?(mem|memory)(\.|_|$)/ },
  { id: "gpu", title: "GPU", test: /^gpu(\.|_|$)/ },
  { id: "disk", title: "Disk", test: /^disk(\.|_|$)/ },
  { id: "network", title: "Network", test: /^(net|network)(\.|_|$)/ },
];

/** Titles and units of what the SDK samples (see trailmark/sdk/capture/system.py), in display order. */
const KNOWN: [string, string, string][] = [
  ["cpu.util", "CPU utilisation", "% of all cores"],
  ["proc.cpu.util", "Process CPU", "% of one core"],
  ["mem.util", "Memory utilisation", "%"],
  ["mem.used_mib", "Memory used", "MiB"],
  ["mem.available_mib", "Memory available", "MiB"],
  ["proc.mem.rss_mib", "Process memory (RSS)", "MiB"],
  ["gpu.util", "GPU utilisation", "%"],
  ["gpu.mem.util", "GPU memory", "%"],
  ["gpu.mem.used_mib", "GPU memory used", "MiB"],
  ["gpu.temp_c", "GPU temperature", "°C"],
  ["gpu.power_w", "GPU power", "W"],
  ["disk.util", "Disk usage", "% of the run's disk"],
  ["disk.free_gib", "Disk free", "GiB"],
  ["disk.read_mib_s", "Disk read", "MiB/s"],
  ["disk.write_mib_s", "Disk write", "MiB/s"],
  ["net.recv_mib_s", "Network received", "MiB/s"],
  ["net.sent_mib_s", "Network sent", "MiB/s"],
];
const KNOWN_INDEX = new Map(KNOWN.map(([k], i) => [k, i]));
const KNOWN_TEXT = new Map(KNOWN.map(([k, title, unit]) => [k, { title, unit }]));

const RANK = /@rank(\d+)$/;
const GPU = /^gpu\.(\d+)\.(.+)$/;

/** A system key split into its measurement, GPU index and rank. */
export function parseSystemKey(key: string): { measurement: string; gpu: number | null; rank: number | null } | null {
  if (!key.startsWith("system/")) return null;
  let rest = key.slice("system/".length);
  let rank: number | null = null;
  const r = RANK.exec(rest);
  if (r) {
    rank = Number(r[1]);
    rest = rest.slice(0, r.index);
  }
  const g = GPU.exec(rest);
  if (g) return { measurement: `gpu.${g[2]}`, gpu: Number(g[1]), rank };
  return { measurement: rest, gpu: null, rank };
}

function seriesLabel(gpu: number | null, rank: number | null): string {
  const parts: string[] = [];
  if (gpu !== null) parts.push(`GPU ${gpu}`);
  if (rank !== null) parts.push(`rank ${rank}`);
  return parts.join(" · ");
}

export function groupSystemKeys(keys: readonly string[], search: RegExp | null = null): SystemSection[] {
  const panels = new Map<string, SystemPanel>();
  for (const key of keys) {
    const parsed = parseSystemKey(key);
    if (!parsed) continue;
    const id = `system/${parsed.measurement}`;
    const known = KNOWN_TEXT.get(parsed.measurement);
    const title = known?.title ?? parsed.measurement;
    if (search && !search.test(key) && !search.test(title)) continue;
    let panel = panels.get(id);
    if (!panel) {
      panel = { id, title, unit: known?.unit ?? "", series: [] };
      panels.set(id, panel);
    }
    panel.series.push({ key, label: seriesLabel(parsed.gpu, parsed.rank), gpu: parsed.gpu, rank: parsed.rank });
  }
  const sections = new Map<SystemSectionId, SystemPanel[]>();
  for (const panel of panels.values()) {
    panel.series.sort((a, b) => (a.gpu ?? -1) - (b.gpu ?? -1) || (a.rank ?? 0) - (b.rank ?? 0));
    if (panel.series.length === 1) (panel.series[0] as SystemSeries).label = "";
    else for (const s of panel.series) if (!s.label) s.label = "rank 0";
    const measurement = panel.id.slice("system/".length);
    const id = SECTIONS.find((s) => s.test.test(measurement))?.id ?? "other";
    const list = sections.get(id) ?? [];
    list.push(panel);
    sections.set(id, list);
  }
  const order = (p: SystemPanel) => KNOWN_INDEX.get(p.id.slice("system/".length)) ?? KNOWN.length;
  const out: SystemSection[] = [];
  for (const s of [...SECTIONS, { id: "other" as const, title: "Other" }]) {
    const list = sections.get(s.id);
    if (!list) continue;
    list.sort((a, b) => order(a) - order(b) || a.id.localeCompare(b.id, "en", { numeric: true }));
    out.push({ id: s.id, title: s.title, panels: list });
  }
  return out;
}

/** Tick spacings for an elapsed-time axis, in seconds (sub-second to a week). */
export const ELAPSED_INCREMENTS: readonly number[] = [
  0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
  604800,
];
