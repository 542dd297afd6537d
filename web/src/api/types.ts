/**
 * Shapes of the REST API's JSON, named for the dashboard. Each is what a route answers,
 * read from the types that `make web-types` generates from /api/v1/openapi.json
 * (schema.gen.ts): the server's view models (src/trailmark/views/) are the one place they
 * are written. Times are epoch seconds.
 */
import type { paths } from "./schema.gen";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Success<Op> = Op extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JsonOf<A>
    : R extends { 201: infer A }
      ? JsonOf<A>
      : never
  : never;

/** The JSON that `method` on the route `path` (as the OpenAPI document spells it) answers. */
export type Answer<P extends keyof paths, M extends "get" | "post" | "put" | "patch" = "get"> = Success<paths[P][M]>;

type RunRoute = "/api/v1/projects/{project}/runs/{run_id}";

export type Project = Answer<"/api/v1/projects/{project}">;
export type Run = Answer<RunRoute>;
export type RunState = Run["state"];
export type RunsPage = Answer<"/api/v1/projects/{project}/runs">;
export type MetricInfo = Answer<`${RunRoute}/metrics`>["metrics"][number];
export type MetricStats = MetricInfo["stats"];
export type SeriesResponse = Answer<`${RunRoute}/series`>;
export type BatchSeries = Answer<"/api/v1/projects/{project}/series", "post">["series"][number];
export type Columns = Answer<"/api/v1/projects/{project}/columns">;

/** The fields of a run the dashboard changes (PATCH .../runs/{run_id}). */
export type RunPatch = Partial<Pick<Run, "name" | "tags" | "notes" | "state">>;
