/**
 * Support for the component tests (jsdom): a layout for the virtualized lists, and the REST API
 * mocked at the fetch boundary, so a test sees the same requests the server would.
 */
import { vi } from "vitest";

/** jsdom lays nothing out: every element gets this size, so virtualized lists render rows. */
export function fakeLayout(width = 1200, height = 600): void {
  Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => height });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => width });
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe(): void {}
      unobserve(): void {}
      disconnect(): void {}
    },
  );
  vi.stubGlobal("scrollTo", vi.fn());
}

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** A route's answer: a JSON body (status 200), or a status with the server's error shape. */
export type Answer = unknown | { status: number; error: { code: string; message: string } };
export type Route = (request: ApiRequest) => Answer;

/**
 * Replace `fetch` with the routes given, keyed "METHOD /path"; anything else is a 404 saying
 * the endpoint does not exist (as an older server would). Returns the requests made.
 */
export function mockApi(routes: Record<string, Route>): ApiRequest[] {
  const requests: ApiRequest[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const method = init?.method ?? "GET";
    const body: unknown = typeof init?.body === "string" ? JSON.parse(init.body) : null;
    const request: ApiRequest = { method, path: decodeURIComponent(url.pathname), query: url.searchParams, body };
    requests.push(request);
    const route = routes[`${method} ${request.path}`];
    const answer = route ? route(request) : { status: 404, error: { code: "not_found", message: "no such endpoint" } };
    const status = isError(answer) ? answer.status : 200;
    const payload = isError(answer) ? { error: answer.error } : answer;
    return new Response(JSON.stringify(payload), { status, headers: { "Content-Type": "application/json" } });
  });
  vi.stubGlobal("fetch", fetchMock);
  return requests;
}

function isError(answer: Answer): answer is { status: number; error: { code: string; message: string } } {
  return typeof answer === "object" && answer !== null && "status" in answer && "error" in answer;
}
