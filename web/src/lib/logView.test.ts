import { describe, expect, it } from "vitest";
import type { LogLine } from "../api/runCapture";
import {
  DEFAULT_LOG_VIEW, cleanText, decodeLogView, encodeLogView, formatLogTime, highlightParts, knownRanks, mergeLines,
  searchPattern,
} from "./logView";

const line = (n: number, text = `line ${n}`, extra: Partial<LogLine> = {}): LogLine => ({
  n,
  time: 1000 + n,
  stream: "stdout",
  rank: null,
  text,
  ...extra,
});

describe("log view state", () => {
  it("leaves defaults out of the URL and round-trips the rest", () => {
    const p = new URLSearchParams("tab=logs");
    encodeLogView(DEFAULT_LOG_VIEW, p);
    expect(p.toString()).toBe("tab=logs");
    expect(decodeLogView(p)).toEqual(DEFAULT_LOG_VIEW);
    encodeLogView({ search: "loss = 1,2", stream: "stderr", rank: 3, time: "clock" }, p);
    expect(decodeLogView(new URLSearchParams(p.toString()))).toEqual({ search: "loss = 1,2", stream: "stderr", rank: 3, time: "clock" });
  });
  it("ignores nonsense", () => {
    expect(decodeLogView(new URLSearchParams("stream=both&rank=-1&ltime=x"))).toEqual(DEFAULT_LOG_VIEW);
  });
});

describe("mergeLines", () => {
  it("appends, prepends and merges overlaps once each", () => {
    const a = [line(3), line(4)];
    expect(mergeLines(a, [line(5)]).map((l) => l.n)).toEqual([3, 4, 5]);
    expect(mergeLines(a, [line(1), line(2)]).map((l) => l.n)).toEqual([1, 2, 3, 4]);
    expect(mergeLines(a, [line(4), line(5)]).map((l) => l.n)).toEqual([3, 4, 5]);
    expect(mergeLines([], a)).toBe(a);
    expect(mergeLines(a, [])).toBe(a);
  });
});

describe("cleanText", () => {
  it("drops colours, cursor moves, titles and control characters but keeps tabs", () => {
    expect(cleanText("\u001b[31mred\u001b[0m and \u001b[1;32mgreen\u001b[m")).toBe("red and green");
    expect(cleanText("\u001b]0;title\u0007after")).toBe("after");
    expect(cleanText("a\tb\u0008c\u001b[2K")).toBe("a\tbc");
    const plain = "nothing to do";
    expect(cleanText(plain)).toBe(plain);
  });
});

describe("highlightParts", () => {
  it("marks every case-insensitive match", () => {
    const parts = highlightParts("Loss 0.5, loss 0.4", searchPattern("LOSS"));
    expect(parts).toEqual([
      { text: "Loss", match: true },
      { text: " 0.5, ", match: false },
      { text: "loss", match: true },
      { text: " 0.4", match: false },
    ]);
  });
  it("treats the needle as text, not a pattern", () => {
    expect(highlightParts("a.b axb", searchPattern("a.b")).filter((p) => p.match)).toEqual([{ text: "a.b", match: true }]);
    expect(highlightParts("(x)", searchPattern("(")).map((p) => p.text)).toEqual(["(", "x)"]);
  });
  it("keeps text without a match whole, and markup as text", () => {
    expect(highlightParts("<script>x</script>", null)).toEqual([{ text: "<script>x</script>", match: false }]);
    expect(highlightParts("", searchPattern("a"))).toEqual([{ text: "", match: false }]);
  });
});

describe("formatLogTime", () => {
  it("shows time since the start, or the clock", () => {
    expect(formatLogTime(1065.7, 1000, "relative")).toBe("+1:05");
    expect(formatLogTime(1000 + 3723, 1000, "relative")).toBe("+1:02:03");
    expect(formatLogTime(998.5, 1000, "relative")).toBe("-0:02");
    expect(formatLogTime(new Date(2026, 0, 2, 3, 4, 5).getTime() / 1000, 0, "clock")).toBe("03:04:05");
  });
});

describe("knownRanks", () => {
  it("merges ranks from metadata and lines, a missing rank being 0", () => {
    expect(knownRanks([], [line(1), line(2)])).toEqual([0]);
    expect(knownRanks([0, 1], [line(1, "x", { rank: 3 })])).toEqual([0, 1, 3]);
  });
});
