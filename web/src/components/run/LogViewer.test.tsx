// @vitest-environment jsdom
/** The Logs tab as a reader uses it, against the logs endpoint mocked at the fetch boundary. */
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LogLine } from "../../api/runCapture";
import type { Run } from "../../api/types";
import { DEFAULT_LOG_VIEW, type LogViewState } from "../../lib/logView";
import { fakeLayout, mockApi, type ApiRequest } from "../../testing/dom";
import { LogViewer } from "./LogViewer";

const START = 1_700_000_000;
const RUN = {
  id: "r1",
  project: "p",
  name: "my run",
  state: "finished",
  config: {},
  summary: {},
  tags: [],
  properties: {},
  notes: "",
  group: null,
  job_type: null,
  host: null,
  metadata: {},
  created: START,
  updated: START + 60,
  ended: START + 60,
  heartbeat: null,
  duration: 60,
  exit_code: 0,
  error: null,
  last_step: null,
} as Run;

const LINES: LogLine[] = [
  { n: 1, time: START + 1, stream: "stdout", rank: null, text: "epoch 1 loss 0.9" },
  { n: 2, time: START + 2, stream: "stdout", rank: null, text: "epoch 2 loss 0.5" },
  { n: 3, time: START + 3, stream: "stderr", rank: null, text: "warning: lr is high" },
  { n: 4, time: START + 4, stream: "stdout", rank: null, text: "saving checkpoint" },
  { n: 5, time: START + 5, stream: "stderr", rank: null, text: "done with warnings" },
];

/** GET …/logs as the server answers it: filtered by search and stream, the last page for tail. */
function logs(request: ApiRequest) {
  const search = request.query.get("search")?.toLowerCase();
  const stream = request.query.get("stream");
  const limit = Number(request.query.get("limit") ?? 1000);
  let lines = LINES.filter((l) => (!search || l.text.toLowerCase().includes(search)) && (!stream || l.stream === stream));
  lines = request.query.get("tail") === "true" ? lines.slice(-limit) : lines.slice(0, limit);
  return { lines, next: null };
}

/** The page's URL state, held as the Run page holds it. */
function Harness() {
  const [view, setView] = useState<LogViewState>(DEFAULT_LOG_VIEW);
  return <LogViewer project="p" run={RUN} live={false} view={view} onViewChange={(patch) => setView((v) => ({ ...v, ...patch }))} />;
}

function shownTexts(): string[] {
  return screen.getAllByTestId("log-line").map((el) => el.querySelector(".log-text")?.textContent ?? "");
}

let requests: ApiRequest[];

beforeEach(() => {
  fakeLayout();
  requests = mockApi({ "GET /api/v1/projects/p/runs/r1/logs": logs });
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("LogViewer", () => {
  it("shows every line with its number, and marks the ones written to stderr", async () => {
    render(<Harness />);
    expect(await screen.findByTestId("log-count")).toHaveProperty("textContent", "5 lines");
    expect(shownTexts()).toEqual(LINES.map((l) => l.text));
    const stderr = screen.getAllByTestId("log-line").filter((el) => within(el).queryByTestId("log-stderr"));
    expect(stderr.map((el) => el.dataset.n)).toEqual(["3", "5"]);
    const second = screen.getAllByTestId("log-line")[1] as HTMLElement;
    expect(second.querySelector(".log-n")?.textContent).toBe("2");
    expect(second.querySelector(".log-time")?.textContent).toBe("+0:02");
  });

  it("searches on Enter: only the matching lines, the matches highlighted", async () => {
    render(<Harness />);
    await screen.findAllByTestId("log-line");
    const box = screen.getByTestId("log-search");
    fireEvent.change(box, { target: { value: "LOSS" } });
    fireEvent.keyDown(box, { key: "Enter" });
    await screen.findByText("2 matching lines");
    expect(shownTexts()).toEqual(["epoch 1 loss 0.9", "epoch 2 loss 0.5"]);
    expect(screen.getAllByTestId("log-match").map((m) => m.textContent)).toEqual(["loss", "loss"]);
    expect(requests.at(-1)?.query.get("search")).toBe("LOSS");

    fireEvent.keyDown(box, { key: "Escape" });
    await screen.findByText("5 lines");
    expect(box).toHaveProperty("value", "");
  });

  it("a search that matches nothing says so and offers to clear the filters", async () => {
    render(<Harness />);
    await screen.findAllByTestId("log-line");
    const box = screen.getByTestId("log-search");
    fireEvent.change(box, { target: { value: "nan detected" } });
    fireEvent.keyDown(box, { key: "Enter" });
    expect(await screen.findByTestId("log-none")).toHaveProperty("textContent", "No line matches. Clear the filters");
    fireEvent.click(screen.getByText("Clear the filters"));
    await screen.findByText("5 lines");
    expect(shownTexts()).toHaveLength(5);
  });

  it("switches to one stream and back", async () => {
    render(<Harness />);
    await screen.findAllByTestId("log-line");
    fireEvent.change(screen.getByTestId("log-stream-filter"), { target: { value: "stderr" } });
    await screen.findByText("2 lines");
    expect(shownTexts()).toEqual(["warning: lr is high", "done with warnings"]);
    expect(requests.at(-1)?.query.get("stream")).toBe("stderr");

    fireEvent.change(screen.getByTestId("log-stream-filter"), { target: { value: "" } });
    await screen.findByText("5 lines");
    expect(requests.at(-1)?.query.has("stream")).toBe(false);
  });

  it("switches between times since the start and clock times", async () => {
    render(<Harness />);
    await screen.findAllByTestId("log-line");
    const toggle = screen.getByTestId("log-time-toggle");
    expect(toggle.textContent).toBe("Since start");
    act(() => toggle.click());
    expect(toggle.textContent).toBe("Clock time");
    const clock = new Date((START + 2) * 1000).toTimeString().slice(0, 8);
    expect(screen.getAllByTestId("log-line")[1]?.querySelector(".log-time")?.textContent).toBe(clock);
  });

  it("downloads the whole output from the server as a text file named after the run", async () => {
    render(<Harness />);
    await screen.findAllByTestId("log-line");
    const link = screen.getByTestId("log-download");
    expect(link.getAttribute("href")).toBe("/api/v1/projects/p/runs/r1/logs.txt");
    expect(link.getAttribute("download")).toBe("my_run-console.txt");
  });

  it("explains when the run printed nothing", async () => {
    mockApi({ "GET /api/v1/projects/p/runs/r1/logs": () => ({ lines: [], next: null }) });
    render(<Harness />);
    expect(await screen.findByText("No console output captured")).toBeTruthy();
  });
});
