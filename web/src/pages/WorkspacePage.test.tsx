// @vitest-environment jsdom
/** The project workspace as a person uses it, against the REST API mocked at the fetch boundary. */
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Run } from "../api/types";
import { fakeLayout, mockApi, type ApiRequest } from "../testing/dom";
import { WorkspacePage } from "./WorkspacePage";

// uPlot reads the pixel ratio's media query as it is imported; jsdom has no matchMedia.
vi.hoisted(() => {
  const query = (media: string) => ({ matches: false, media, addEventListener() {}, removeEventListener() {} });
  window.matchMedia ??= query as unknown as typeof window.matchMedia;
});

const NOW = 1_700_000_000;

function run(id: string, name: string, state: string, lr: number, age: number): Run {
  return {
    id,
    project: "p",
    name,
    state,
    config: { lr },
    summary: { loss: lr * 10 },
    tags: [],
    properties: {},
    notes: "",
    group: null,
    job_type: null,
    host: null,
    metadata: {},
    created: NOW - age,
    updated: NOW - age + 60,
    ended: NOW - age + 60,
    heartbeat: null,
    duration: 60,
    exit_code: state === "failed" ? 1 : 0,
    error: null,
    last_step: 100,
  } as Run;
}

// Newest first, as the default order (-created) lists them.
const RUNS = [
  run("r4", "gentle-fox", "finished", 0.001, 100),
  run("r3", "brave-owl", "failed", 0.1, 200),
  run("r2", "calm-heron", "finished", 0.01, 300),
  run("r1", "eager-lynx", "failed", 0.3, 400),
];
const FAILED = 'state = "failed"';

/** POST …/runs/search as the server answers it, for the one filter these tests type. */
function search(request: ApiRequest) {
  const { filter, offset, limit } = request.body as { filter: string | null; offset: number; limit: number };
  if (filter && filter !== FAILED) {
    return { status: 400, error: { code: "invalid_filter", message: `unknown field "colour" at position 0` } };
  }
  const runs = filter ? RUNS.filter((r) => r.state === "failed") : RUNS;
  return { runs: runs.slice(offset, offset + limit), total: runs.length, next_offset: null };
}

let requests: ApiRequest[];

beforeEach(() => {
  fakeLayout();
  window.__trailmark = { chartsDrawnAt: 0 }; // set by main.tsx, for the benchmarks
  window.history.replaceState(null, "", "/projects/p");
  requests = mockApi({
    "POST /api/v1/projects/p/runs/search": search,
    "GET /api/v1/projects/p/columns": () => ({ config: ["lr"], summary: ["loss"], properties: [] }),
    "POST /api/v1/projects/p/metric-keys": () => ({ keys: [] }),
  });
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

async function shownNames(): Promise<string[]> {
  return (await screen.findAllByTestId("run-name")).map((el) => el.textContent ?? "");
}

function applyFilter(text: string): void {
  const box = screen.getByTestId("filter-input");
  fireEvent.change(box, { target: { value: text } });
  fireEvent.keyDown(box, { key: "Enter" });
}

describe("WorkspacePage", () => {
  it("lists the project's runs, newest first, with their count", async () => {
    render(<WorkspacePage project="p" />);
    expect(await shownNames()).toEqual(["gentle-fox", "brave-owl", "calm-heron", "eager-lynx"]);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("p");
    expect(await screen.findByText("4 runs")).toBeTruthy();
    expect(await screen.findByText("No metrics logged yet")).toBeTruthy();
  });

  it("applies a filter: the server is asked, the matching runs are listed, the URL keeps it", async () => {
    render(<WorkspacePage project="p" />);
    await shownNames();
    applyFilter(FAILED);
    await screen.findByText("2 runs match");
    expect(await shownNames()).toEqual(["brave-owl", "eager-lynx"]);
    const searches = requests.filter((r) => r.path.endsWith("/runs/search"));
    expect((searches.at(-1)?.body as { filter: string }).filter).toBe(FAILED);
    expect(new URLSearchParams(window.location.search).get("filter")).toBe(FAILED);
  });

  it("shows the server's words under the box when a filter is wrong", async () => {
    render(<WorkspacePage project="p" />);
    await shownNames();
    applyFilter("colour = 1");
    expect(await screen.findByText(/unknown field "colour"/)).toBeTruthy();
  });

  it("compares the runs selected with their checkboxes", async () => {
    render(<WorkspacePage project="p" />);
    await shownNames();
    const compare = screen.getByTestId("compare-button") as HTMLButtonElement;
    expect(compare.disabled).toBe(true);

    const select = (i: number) => act(() => (screen.getAllByTestId("run-select")[i] as HTMLInputElement).click());
    select(0);
    expect(screen.getByText("1 selected")).toBeTruthy();
    expect(compare.disabled).toBe(true);
    select(2);
    expect(screen.getByText("2 selected")).toBeTruthy();
    expect(compare.disabled).toBe(false);
    expect(compare.textContent).toBe("Compare 2");

    act(() => compare.click());
    expect(window.location.pathname).toBe("/projects/p/compare");
    expect(new URLSearchParams(window.location.search).get("runs")).toBe("r4,r2");
  });

  it("says how to log a run when the project has none", async () => {
    mockApi({
      "POST /api/v1/projects/p/runs/search": () => ({ runs: [], total: 0, next_offset: null }),
      "GET /api/v1/projects/p/columns": () => ({ config: [], summary: [], properties: [] }),
    });
    render(<WorkspacePage project="p" />);
    expect(await screen.findByText("This project has no runs")).toBeTruthy();
    expect(screen.getByText(/tm\.init\(project="p"\)/)).toBeTruthy();
  });
});
