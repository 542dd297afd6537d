import { describe, expect, it } from "vitest";
import { descriptionLength, descriptionToSave, draftState, MAX_DESCRIPTION_LENGTH } from "./description";

describe("descriptionLength", () => {
  it("counts code points, as the server does", () => {
    expect(descriptionLength("")).toBe(0);
    expect(descriptionLength("abc")).toBe(3);
    expect(descriptionLength("é\n")).toBe(2);
    expect(descriptionLength("🚀🚀")).toBe(2); // four UTF-16 units
    expect(descriptionLength("\ud800x")).toBe(2); // a lone surrogate is one
  });
});

describe("descriptionToSave", () => {
  it("clears on whitespace alone and keeps the rest as typed", () => {
    expect(descriptionToSave("  \n ")).toBe("");
    expect(descriptionToSave("")).toBe("");
    expect(descriptionToSave(" two\nlines ")).toBe(" two\nlines ");
  });
});

describe("draftState", () => {
  it("allows Save only when changed and within the limit", () => {
    expect(draftState("same", "same")).toMatchObject({ changed: false, canSave: false, over: false, counter: null });
    expect(draftState("new", "old")).toMatchObject({ changed: true, canSave: true, counter: null });
    expect(draftState("", "old")).toMatchObject({ changed: true, canSave: true }); // clearing is allowed
    expect(draftState("   ", "")).toMatchObject({ changed: false, canSave: false });
    expect(draftState("<img src=x onerror=alert(1)>", "")).toMatchObject({ canSave: true });
  });

  it("counts down near the limit and refuses over it", () => {
    const max = MAX_DESCRIPTION_LENGTH;
    expect(draftState("a".repeat(max - 10_001), "").counter).toBeNull();
    expect(draftState("a".repeat(max - 10_000), "").counter).toBe("10,000 characters left");
    expect(draftState("a".repeat(max - 1), "")).toMatchObject({ remaining: 1, canSave: true, counter: "1 character left" });
    expect(draftState("a".repeat(max), "")).toMatchObject({ remaining: 0, canSave: true, counter: "0 characters left" });
    expect(draftState("a".repeat(max + 1), "")).toMatchObject({
      remaining: -1,
      over: true,
      canSave: false,
      counter: "1 character too many (at most 100,000)",
    });
    expect(draftState("abcdef", "", 4)).toMatchObject({ over: true, counter: "2 characters too many (at most 4)" });
    expect(draftState("🚀".repeat(4), "", 4)).toMatchObject({ over: false, canSave: true });
  });
});
