import { describe, expect, it } from "vitest";
import type { ManifestEntry } from "../lib/files";
import type { Artifact, ArtifactVersion, FilesPage, LineageGraph, Model, ModelEvent, ModelVersion, TablePreview } from "./registry";
import type { BatchSeries, Columns, MetricInfo, Project, Run, RunsPage, SeriesResponse } from "./types";

type IsNever<T> = [T] extends [never] ? true : false;
type IsUnknown<T> = unknown extends T ? true : false;
/** `true` only when T is a real shape: a route path that the document lacks gives never. */
type Resolved<T> = IsNever<T> extends true ? false : IsUnknown<T> extends true ? false : true;

describe("the answer types generated from the OpenAPI document", () => {
  it("resolve to real shapes, not never or unknown", () => {
    // Checked by tsc (`npx tsc --noEmit` covers the tests): a `false` here does not compile.
    const resolved: Array<true> = [
      true as Resolved<Project>,
      true as Resolved<Run>,
      true as Resolved<RunsPage>,
      true as Resolved<MetricInfo>,
      true as Resolved<SeriesResponse>,
      true as Resolved<BatchSeries>,
      true as Resolved<Columns>,
      true as Resolved<ArtifactVersion>,
      true as Resolved<Artifact>,
      true as Resolved<FilesPage>,
      true as Resolved<Model>,
      true as Resolved<ModelVersion>,
      true as Resolved<ModelEvent>,
      true as Resolved<LineageGraph>,
      true as Resolved<TablePreview>,
      true as Resolved<ManifestEntry>,
    ];
    expect(resolved.every(Boolean)).toBe(true);
  });

  it("keep the names the dashboard reads", () => {
    const run: Pick<Run, "id" | "state" | "last_step"> = { id: "r1", state: "finished", last_step: null };
    const stats: MetricInfo["stats"] = { n: 1, nf: 0, last: "NaN" };
    expect([run.state, stats.last]).toEqual(["finished", "NaN"]);
  });
});
