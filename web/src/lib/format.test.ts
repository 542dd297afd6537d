import { describe, expect, it } from "vitest";
import { formatCount, formatDuration, formatElapsed, formatNumber, formatRelative, formatValue, toNumber } from "./format";

describe("toNumber", () => {
  it("maps the API's special strings", () => {
    expect(toNumber(1.5)).toBe(1.5);
    expect(toNumber("NaN")).toBeNaN();
    expect(toNumber("Infinity")).toBe(Infinity);
    expect(toNumber("-Infinity")).toBe(-Infinity);
    expect(toNumber("abc")).toBeNull();
    expect(toNumber(null)).toBeNull();
    expect(toNumber({})).toBeNull();
  });
});

describe("formatNumber", () => {
  it("keeps four significant digits", () => {
    expect(formatNumber(0.123456)).toBe("0.1235");
    expect(formatNumber(1.5)).toBe("1.5");
    expect(formatNumber(123.456)).toBe("123.5");
    expect(formatNumber(-2.25)).toBe("-2.25");
  });
  it("uses exponent notation for very small and very large", () => {
    expect(formatNumber(0.0003)).toBe("3e-4");
    expect(formatNumber(2.0000000000000018e-7)).toBe("2e-7");
    expect(formatNumber(1234567.8)).toBe("1.235e6");
    expect(formatNumber(-0.00012346)).toBe("-1.235e-4");
  });
  it("prints integers with separators", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(12345)).toBe("12,345");
  });
  it("handles non-finite values", () => {
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber(Infinity)).toBe("∞");
    expect(formatNumber(-Infinity)).toBe("−∞");
  });
});

describe("formatValue", () => {
  it("formats any JSON value", () => {
    expect(formatValue(null)).toBe("");
    expect(formatValue("adam")).toBe("adam");
    expect(formatValue(true)).toBe("true");
    expect(formatValue("NaN")).toBe("NaN");
    expect(formatValue([1, 2])).toBe("[1,2]");
    expect(formatValue(0.5)).toBe("0.5");
  });
});

describe("formatDuration", () => {
  it("picks a readable unit", () => {
    expect(formatDuration(0.0027)).toBe("3ms");
    expect(formatDuration(4.21)).toBe("4.2s");
    expect(formatDuration(42.4)).toBe("42s");
    expect(formatDuration(192)).toBe("3m 12s");
    expect(formatDuration(3720)).toBe("1h 02m");
    expect(formatDuration(90000)).toBe("1d 1h");
    expect(formatDuration(null)).toBe("");
    expect(formatDuration(NaN)).toBe("");
  });
});

describe("formatRelative", () => {
  const now = 1_000_000;
  it("describes recent times", () => {
    expect(formatRelative(now - 10, now)).toBe("just now");
    expect(formatRelative(now - 300, now)).toBe("5 min ago");
    expect(formatRelative(now - 7200, now)).toBe("2 h ago");
    expect(formatRelative(now - 86400, now)).toBe("1 day ago");
    expect(formatRelative(now - 3 * 86400, now)).toBe("3 days ago");
    expect(formatRelative(null, now)).toBe("");
  });
  it("falls back to a date for old times", () => {
    expect(formatRelative(now - 100 * 86400, now)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  });
});

describe("formatCount", () => {
  it("groups thousands", () => {
    expect(formatCount(10000)).toBe("10,000");
  });
});

describe("formatElapsed", () => {
  it("reads like a clock", () => {
    expect(formatElapsed(0)).toBe("0:00");
    expect(formatElapsed(7)).toBe("0:07");
    expect(formatElapsed(754)).toBe("12:34");
    expect(formatElapsed(3723)).toBe("1:02:03");
    expect(formatElapsed(90000)).toBe("25:00:00");
    expect(formatElapsed(2.5)).toBe("0:02.5");
    expect(formatElapsed(-5)).toBe("-0:05");
    expect(formatElapsed(NaN)).toBe("");
  });
});
