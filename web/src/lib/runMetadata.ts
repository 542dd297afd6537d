/**
 * The code and environment of a run read out of its metadata. Every field may be missing or
 * of an unexpected type (older SDKs, capture turned off, hand-written runs): readers check each
 * value and give null rather than fail.
 */
import type { CaptureMetadata } from "../api/runCapture";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === "boolean" ? v : null);
const strings = (v: unknown): string[] | null => (Array.isArray(v) ? v.map((a) => String(a)) : null);

/** Arguments as one shell line, quoting those that need it. */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}

/** The URL of a remote when it can be opened in a browser (http or https), else null. */
export function browsableUrl(remote: string | null): string | null {
  if (!remote) return null;
  try {
    const u = new URL(remote);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

export interface CodeView {
  commit: string | null;
  branch: string | null;
  remote: string | null;
  /** `remote` when it is an http(s) URL. */
  remoteUrl: string | null;
  dirty: boolean | null;
  root: string | null;
  diff: string | null;
  diffCut: boolean;
  /** The command line as typed (interpreter, script and arguments), if known. */
  command: string | null;
  cwd: string | null;
}

/** The code facts of a run; null when none of them were captured. */
export function readCode(metadata: Obj | null | undefined): CodeView | null {
  const md: Obj = isObj(metadata) ? metadata : {};
  const git: Obj = isObj(md.git) ? md.git : {};
  const cmd = strings(md.command);
  const program = str(md.program);
  const args = strings(md.args) ?? [];
  const command = cmd && cmd.length ? shellJoin(cmd) : typeof md.command === "string" ? md.command : program ? shellJoin([program, ...args]) : null;
  const remote = str(git.remote);
  const view: CodeView = {
    commit: str(git.commit),
    branch: str(git.branch),
    remote,
    remoteUrl: browsableUrl(remote),
    dirty: bool(git.dirty),
    root: str(git.root),
    diff: str(git.diff),
    diffCut: git.diff_cut === true,
    command,
    cwd: str(md.cwd),
  };
  const any = view.commit || view.branch || view.remote || view.dirty !== null || view.root || view.diff || view.command;
  return any ? view : null;
}

export interface GpuView {
  index: number;
  name: string | null;
  memoryMib: number | null;
}

export interface EnvironmentView {
  python: string | null;
  executable: string | null;
  platform: string | null;
  hostname: string | null;
  user: string | null;
  cpus: string | null;
  memory: string | null;
  machine: string | null;
  gpus: GpuView[];
  gpuDriver: string | null;
  cudaDriver: string | null;
  cuda: string | null;
  /** [name, version], sorted by name; null when the list was not captured. */
  packages: [string, string][] | null;
  /** [name, value], sorted; null when not captured. */
  env: [string, string][] | null;
}

const byName = (a: [string, string], b: [string, string]) => a[0].toLowerCase().localeCompare(b[0].toLowerCase());

function pairs(v: unknown): [string, string][] | null {
  if (!isObj(v)) return null;
  return Object.entries(v)
    .map(([k, x]): [string, string] => [k, typeof x === "string" ? x : JSON.stringify(x)])
    .sort(byName);
}

/** Where the run ran; null when nothing about it was captured. */
export function readEnvironment(metadata: Obj | null | undefined, runHost: string | null = null): EnvironmentView | null {
  const md: Obj = isObj(metadata) ? metadata : {};
  const env: Obj = isObj(md.environment) ? md.environment : {};
  const host: Obj = isObj(md.host) ? md.host : {};
  const py: Obj = isObj(env.python) ? env.python : {};
  const version = str(py.version) ?? str(md.python);
  const impl = str(py.implementation);
  const logical = num(host.cpu_count);
  const physical = num(host.cpu_count_physical);
  const memory = num(host.memory_gib);
  const gpus: GpuView[] = Array.isArray(host.gpus)
    ? host.gpus.filter(isObj).map((g, i) => ({ index: num(g.index) ?? i, name: str(g.name), memoryMib: num(g.memory_mib) }))
    : [];
  const view: EnvironmentView = {
    python: version ? (impl && impl !== "CPython" ? `${version} (${impl})` : version) : null,
    executable: str(py.executable),
    platform: str(env.platform) ?? str(md.platform),
    hostname: str(host.hostname) ?? runHost,
    user: str(host.user) ?? str(md.user),
    cpus: logical === null ? null : physical !== null && physical !== logical ? `${logical} (${physical} physical)` : String(logical),
    memory: memory === null ? null : `${memory} GiB`,
    machine: str(host.machine),
    gpus,
    gpuDriver: str(host.gpu_driver),
    cudaDriver: str(host.cuda_driver),
    cuda: str(host.cuda),
    packages: pairs(env.packages),
    env: pairs(env.env),
  };
  const { gpus: g, packages, env: vars, ...facts } = view;
  const any = Object.values(facts).some((v) => v !== null) || g.length > 0 || packages !== null || vars !== null;
  return any ? view : null;
}

/** GPUs as "2 × NVIDIA A100 (40 GiB)" per model. */
export function describeGpus(gpus: readonly GpuView[]): string[] {
  const counts = new Map<string, number>();
  for (const g of gpus) {
    const mem = g.memoryMib ? ` (${Math.round(g.memoryMib / 1024)} GiB)` : "";
    const label = `${g.name ?? `GPU ${g.index}`}${mem}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts.entries()].map(([label, n]) => (n > 1 ? `${n} × ${label}` : label));
}

/** The ranks of a distributed run known from its metadata (0 and every other rank that reported). */
export function metadataRanks(metadata: CaptureMetadata | Obj | null | undefined): number[] {
  const md: Obj = isObj(metadata) ? (metadata as Obj) : {};
  const ranks = new Set<number>();
  const dist: Obj = isObj(md.distributed) ? md.distributed : {};
  const size = num(dist.world_size);
  if (isObj(md.ranks)) {
    ranks.add(0);
    for (const k of Object.keys(md.ranks)) if (/^\d+$/.test(k)) ranks.add(Number(k));
  }
  if (size !== null && size > 1 && size <= 4096) for (let r = 0; r < size; r++) ranks.add(r);
  return [...ranks].sort((a, b) => a - b);
}
