/**
 * URLs of the artifact, model and lineage pages, and lineage node ids (as the API names them:
 * `run:ID`, `artifact:PROJECT/NAME:vN`, `model:NAME:vN`).
 */

const enc = encodeURIComponent;

export const projectBase = (project: string) => `/projects/${enc(project)}`;
export const runLink = (project: string, runId: string) => `${projectBase(project)}/runs/${enc(runId)}`;

/** The artifacts of a project, optionally filtered. */
export function artifactsPath(project: string, opts: { type?: string; q?: string } = {}): string {
  return withQuery(`${projectBase(project)}/artifacts`, { type: opts.type, q: opts.q });
}

/** An artifact, with a version (and a file of it) selected. */
export function artifactPath(project: string, name: string, opts: { version?: number | null; file?: string | null } = {}): string {
  return withQuery(`${projectBase(project)}/artifacts/${enc(name)}`, {
    v: opts.version === null || opts.version === undefined ? undefined : String(opts.version),
    file: opts.file ?? undefined,
  });
}

export const modelsPath = (q?: string) => withQuery("/models", { q });

export function modelPath(name: string, opts: { version?: number | null; file?: string | null } = {}): string {
  return withQuery(`/models/${enc(name)}`, {
    v: opts.version === null || opts.version === undefined ? undefined : String(opts.version),
    file: opts.file ?? undefined,
  });
}

export type Direction = "upstream" | "downstream" | "both";

export interface LineageView {
  node: string;
  direction: Direction;
  hops: number;
}

export const DEFAULT_HOPS = 2;

/** The lineage page around `node`; under a project when one is known (it names the breadcrumb). */
export function lineagePath(project: string | null | undefined, view: Partial<LineageView> & { node?: string }): string {
  const base = project ? `${projectBase(project)}/lineage` : "/lineage";
  return withQuery(base, {
    node: view.node,
    direction: view.direction && view.direction !== "both" ? view.direction : undefined,
    hops: view.hops && view.hops !== DEFAULT_HOPS ? String(view.hops) : undefined,
  });
}

/** Read the lineage view from a query string; unknown values fall back to the defaults. */
export function parseLineageView(search: string): LineageView {
  const p = new URLSearchParams(search);
  const direction = p.get("direction");
  const hops = Number(p.get("hops"));
  return {
    node: p.get("node") ?? "",
    direction: direction === "upstream" || direction === "downstream" ? direction : "both",
    hops: Number.isInteger(hops) && hops >= 1 && hops <= 4 ? hops : DEFAULT_HOPS,
  };
}

export const runNodeId = (runId: string) => `run:${runId}`;
export const artifactNodeId = (project: string, name: string, version: number) => `artifact:${project}/${name}:v${version}`;
export const modelNodeId = (name: string, version: number) => `model:${name}:v${version}`;

export type ParsedNode =
  | { kind: "run"; runId: string }
  | { kind: "artifact"; project: string; name: string; version: string }
  | { kind: "model"; name: string; version: string }
  | null;

/** Split a node id; null when it is not one. Versions stay text ("v3", "latest", "@champion"). */
export function parseNodeId(id: string): ParsedNode {
  const colon = id.indexOf(":");
  if (colon < 0) return null;
  const kind = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if (!rest) return null;
  if (kind === "run") return { kind, runId: rest };
  if (kind === "artifact") {
    const slash = rest.indexOf("/");
    if (slash <= 0) return null;
    const project = rest.slice(0, slash);
    const nameRef = rest.slice(slash + 1);
    const sep = nameRef.lastIndexOf(":");
    if (sep <= 0) return { kind, project, name: nameRef, version: "latest" };
    return { kind, project, name: nameRef.slice(0, sep), version: nameRef.slice(sep + 1) };
  }
  if (kind === "model") {
    const at = rest.indexOf("@");
    if (at > 0) return { kind, name: rest.slice(0, at), version: `@${rest.slice(at + 1)}` };
    const sep = rest.lastIndexOf(":");
    if (sep <= 0) return { kind, name: rest, version: "latest" };
    return { kind, name: rest.slice(0, sep), version: rest.slice(sep + 1) };
  }
  return null;
}

/** The version number in "v3" or "3"; null for aliases. */
export function versionNumber(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = /^v?(\d{1,9})$/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The page of a lineage node, from the fields the API gives each node. */
export function nodePagePath(node: {
  id: string;
  kind: string;
  project?: string | null;
  /** The artifact's name on an artifact node (a model node's is its source, an object). */
  artifact?: unknown;
  model?: string;
  version?: number;
}): string | null {
  const parsed = parseNodeId(node.id);
  if (node.kind === "run" && parsed?.kind === "run") return node.project ? runLink(node.project, parsed.runId) : null;
  if (node.kind === "artifact" && node.project && typeof node.artifact === "string") return artifactPath(node.project, node.artifact, { version: node.version ?? null });
  if (node.kind === "model" && node.model) return modelPath(node.model, { version: node.version ?? null });
  if (parsed?.kind === "artifact") return artifactPath(parsed.project, parsed.name, { version: versionNumber(parsed.version) });
  if (parsed?.kind === "model") return modelPath(parsed.name, { version: versionNumber(parsed.version) });
  return null;
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") p.set(k, v);
  const qs = p.toString();
  return qs ? `${path}?${qs}` : path;
}
