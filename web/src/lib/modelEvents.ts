/** A model's history in words: "moved v2 from Staging to Production". */

export interface EventLike {
  kind: string;
  version: number | null;
  data: Record<string, unknown> | null;
}

const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
const ver = (v: unknown) => (v === null || v === undefined || v === "" ? "" : `v${String(v).replace(/^v/, "")}`);

/** One event in words, e.g. "moved v2 from Staging to Production". */
export function describeEvent(e: EventLike): string {
  const d = e.data ?? {};
  const v = ver(e.version);
  switch (e.kind) {
    case "model_created":
      return "created the model";
    case "version_created":
      return `registered ${v}${d.source ? ` from ${str(d.source)}` : ""}`;
    case "alias_moved":
      return d.from !== null && d.from !== undefined && d.from !== d.to
        ? `moved alias ${str(d.alias)} from ${ver(d.from)} to ${ver(d.to ?? e.version)}`
        : `pointed alias ${str(d.alias)} at ${ver(d.to ?? e.version)}`;
    case "alias_deleted":
      return `removed alias ${str(d.alias)}${d.from !== undefined && d.from !== null ? ` (it named ${ver(d.from)})` : ""}`;
    case "stage_changed": {
      if (!d.to) return `changed the stage of ${v}`;
      const because = d.because ? `, because ${str(d.because)} went to ${str(d.from)}` : "";
      return `moved ${v} from ${str(d.from) || "None"} to ${str(d.to)}${because}`;
    }
    case "version_updated":
      return `changed ${v} (${Object.keys(d).join(", ") || "details"})`;
    case "model_updated":
      return `changed the model (${Object.keys(d).join(", ") || "details"})`;
    case "model_deleted":
      return "deleted the model";
    default:
      return `${e.kind.replace(/_/g, " ")}${v ? ` ${v}` : ""}`;
  }
}

/** The stage a stage change went to (for test hooks and styling); undefined for other events. */
export function eventTarget(e: EventLike): string | undefined {
  return e.kind === "stage_changed" ? str(e.data?.to) : undefined;
}
