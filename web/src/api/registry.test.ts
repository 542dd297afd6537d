import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./client";
import { deleteModelAlias, updateModelDescription, updateModelVersionDescription } from "./registry";

interface Call {
  url: string;
  method: string | undefined;
  body: unknown;
}

/** Replace fetch with one answering `status` and `body`; returns the requests made. */
function answer(status: number, body: unknown = null): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (url: string, init?: RequestInit) => {
    calls.push({ url, method: init?.method, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    return new Response(body === null ? null : JSON.stringify(body), { status });
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("model registry changes", () => {
  it("removes an alias with DELETE, names encoded", async () => {
    const calls = answer(204);
    await expect(deleteModelAlias("fraud detector", "champion")).resolves.toBeNull();
    expect(calls).toEqual([{ url: "/api/v1/models/fraud%20detector/aliases/champion", method: "DELETE", body: undefined }]);
  });

  it("turns a missing alias into an ApiError with the server's words", async () => {
    answer(404, { error: { code: "not_found", message: "registered model 'm' has no alias 'gone'" } });
    const err = await deleteModelAlias("m", "gone").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: "not_found", message: "registered model 'm' has no alias 'gone'" });
  });

  it("changes descriptions with PATCH, sending only the description", async () => {
    const calls = answer(200, { name: "m", description: "new" });
    await expect(updateModelDescription("m/x", "new")).resolves.toMatchObject({ description: "new" });
    await updateModelVersionDescription("m", 3, "");
    expect(calls).toEqual([
      { url: "/api/v1/models/m%2Fx", method: "PATCH", body: { description: "new" } },
      { url: "/api/v1/models/m/versions/3", method: "PATCH", body: { description: "" } },
    ]);
  });

  it("reports the server refusing a description", async () => {
    answer(400, { error: { code: "invalid_input", message: "notes are too long: at most 100000 characters" } });
    await expect(updateModelVersionDescription("m", 1, "x")).rejects.toMatchObject({ status: 400, code: "invalid_input" });
  });
});
