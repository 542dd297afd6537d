/**
 * Typed calls for artifacts, registered models, lineage and file previews
 * (see docs/artifacts.md and docs/routes.md).
 */
import type { Direction } from "../lib/registryPaths";
import { ApiError, buildUrl, get, request } from "./client";
import type { Answer } from "./types";

// Shapes of the answers, read from the generated OpenAPI types (see ./types.ts).
type Art = "/api/v1/projects/{project}/artifacts/{name}";
type Mod = "/api/v1/models/{name}";

export type ArtifactVersion = Answer<`${Art}/versions/{ref}`>;
export type Artifact = Answer<Art>;
export type FilesPage = Answer<`${Art}/versions/{ref}/files`>;

/** A page of versions (of an artifact or of a model). */
export interface VersionsPage<T> {
  versions: T[];
  total: number;
  next_offset: number | null;
}

export type Model = Answer<Mod>;
export type ModelVersion = Answer<`${Mod}/versions/{ref}`>;
export type Stage = ModelVersion["stage"];
export const STAGES: Stage[] = ["None", "Staging", "Production", "Archived"];
export type ModelEvent = Answer<`${Mod}/events`>["events"][number];

export type LineageGraph = Answer<"/api/v1/lineage">;
export type LineageNode = LineageGraph["nodes"][number];
export type LineageEdge = LineageGraph["edges"][number];

export type TablePreview = Answer<"/api/v1/projects/{project}/runs/{run_id}/table/{path}">;

const enc = encodeURIComponent;
const P = (project: string) => `/api/v1/projects/${enc(project)}`;
const A = (project: string, name: string) => `${P(project)}/artifacts/${enc(name)}`;
const M = (name: string) => `/api/v1/models/${enc(name)}`;
/** A file path in a URL: each segment encoded, the slashes kept (the routes take `{path:path}`). */
const filePath = (path: string) => path.split("/").map(enc).join("/");

// ---------- artifacts ----------

export function listArtifacts(project: string, signal?: AbortSignal): Promise<{ artifacts: Artifact[] }> {
  return get(`${P(project)}/artifacts`, undefined, signal);
}

export function getArtifact(project: string, name: string, signal?: AbortSignal): Promise<Artifact> {
  return get(A(project, name), undefined, signal);
}

export function listArtifactVersions(
  project: string,
  name: string,
  page: { limit?: number; offset?: number } = {},
  signal?: AbortSignal,
): Promise<VersionsPage<ArtifactVersion>> {
  return get(`${A(project, name)}/versions`, { limit: page.limit ?? 100, offset: page.offset ?? 0 }, signal);
}

export function getArtifactVersion(project: string, name: string, ref: string | number, signal?: AbortSignal): Promise<ArtifactVersion> {
  return get(`${A(project, name)}/versions/${enc(String(ref))}`, undefined, signal);
}

/** Where a version's files are listed, downloaded and previewed. */
export interface FileSource {
  /** Base of the version's routes: `.../versions/{ref}`. */
  base: string;
  /** Names the version in messages: "data:v3", "model fraud v2". */
  label: string;
}

export function artifactFiles(project: string, name: string, version: number): FileSource {
  return { base: `${A(project, name)}/versions/v${version}`, label: `${name}:v${version}` };
}

export function modelFiles(name: string, version: number): FileSource {
  return { base: `${M(name)}/versions/${version}`, label: `${name} v${version}` };
}

export function listFiles(
  source: FileSource,
  q: { prefix?: string; limit?: number; offset?: number },
  signal?: AbortSignal,
): Promise<FilesPage> {
  return get(`${source.base}/files`, { prefix: q.prefix || null, limit: q.limit ?? 500, offset: q.offset ?? 0 }, signal);
}

export const fileUrl = (source: FileSource, path: string) => `${source.base}/files/${filePath(path)}`;

export function tablePreview(source: FileSource, path: string, rows = 100, signal?: AbortSignal): Promise<TablePreview> {
  return get(`${source.base}/table/${filePath(path)}`, { rows }, signal);
}

/** Ids of the runs that used an artifact version. */
export function artifactUsers(project: string, name: string, version: number, signal?: AbortSignal): Promise<{ runs: string[] }> {
  return get(`${A(project, name)}/versions/v${version}/users`, undefined, signal);
}

// ---------- models ----------

export function listModels(search: string, signal?: AbortSignal): Promise<{ models: Model[] }> {
  return get("/api/v1/models", { search }, signal);
}

export function getModel(name: string, signal?: AbortSignal): Promise<Model> {
  return get(M(name), undefined, signal);
}

export function listModelVersions(
  name: string,
  page: { limit?: number; offset?: number } = {},
  signal?: AbortSignal,
): Promise<VersionsPage<ModelVersion>> {
  return get(`${M(name)}/versions`, { limit: page.limit ?? 100, offset: page.offset ?? 0 }, signal);
}

export function getModelVersion(name: string, ref: string | number, signal?: AbortSignal): Promise<ModelVersion> {
  return get(`${M(name)}/versions/${enc(String(ref))}`, undefined, signal);
}

export function modelEvents(
  name: string,
  page: { limit?: number; offset?: number } = {},
  signal?: AbortSignal,
): Promise<{ events: ModelEvent[]; total: number; next_offset: number | null }> {
  return get(`${M(name)}/events`, { limit: page.limit ?? 100, offset: page.offset ?? 0 }, signal);
}

export function setModelAlias(name: string, alias: string, version: number): Promise<ModelVersion> {
  return request("PUT", `${M(name)}/aliases/${enc(alias)}`, { body: { version } });
}

/** Remove an alias from the model (204); anything that loads `name@alias` fails until it is set again. */
export function deleteModelAlias(name: string, alias: string): Promise<void> {
  return request("DELETE", `${M(name)}/aliases/${enc(alias)}`);
}

/** Change the model's description ("" clears it); returns the model. */
export function updateModelDescription(name: string, description: string): Promise<Model> {
  return request("PATCH", M(name), { body: { description } });
}

/** Change a version's description ("" clears it); returns the version. */
export function updateModelVersionDescription(name: string, version: number, description: string): Promise<ModelVersion> {
  return request("PATCH", `${M(name)}/versions/${version}`, { body: { description } });
}

export function setModelStage(name: string, version: number, stage: Stage, archiveExisting: boolean): Promise<ModelVersion> {
  return request("PUT", `${M(name)}/versions/${version}/stage`, { body: { stage, archive_existing: archiveExisting } });
}

// ---------- lineage ----------

export function getLineage(node: string, direction: Direction, hops: number, signal?: AbortSignal): Promise<LineageGraph> {
  return get("/api/v1/lineage", { node, direction, hops }, signal);
}

// ---------- file contents ----------

export interface FileHead {
  bytes: Uint8Array<ArrayBuffer>;
  /** The file holds more than was read. */
  truncated: boolean;
}

/** Read at most `maxBytes` of a file, then stop the download. */
export async function readFileHead(url: string, maxBytes: number, signal?: AbortSignal): Promise<FileHead> {
  let res: Response;
  try {
    res = await fetch(buildUrl(url), { signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "Cannot reach the Trailmark server. Check that it is running and reload.");
  }
  if (!res.ok) {
    let message = `The server answered ${res.status} ${res.statusText}.`;
    let code = `http_${res.status}`;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      message = body.error?.message ?? message;
      code = body.error?.code ?? code;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, code, message);
  }
  const reader = res.body?.getReader();
  if (!reader) {
    const all = new Uint8Array(await res.arrayBuffer());
    return { bytes: all.slice(0, maxBytes), truncated: all.length > maxBytes };
  }
  const parts: Uint8Array<ArrayBufferLike>[] = [];
  let total = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
    if (total > maxBytes) {
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const bytes = new Uint8Array(Math.min(total, maxBytes));
  let offset = 0;
  for (const part of parts) {
    const take = Math.min(part.length, bytes.length - offset);
    if (take <= 0) break;
    bytes.set(part.subarray(0, take), offset);
    offset += take;
  }
  return { bytes, truncated };
}
