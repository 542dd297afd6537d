import { describe, expect, it } from "vitest";
import { parseDiff } from "./gitDiff";

const TWO_FILES = [
  "diff --git a/train.py b/train.py",
  "index 1111111..2222222 100644",
  "--- a/train.py",
  "+++ b/train.py",
  "@@ -1,3 +1,4 @@",
  " import torch",
  "-lr = 0.1",
  "+lr = 0.01",
  "+momentum = 0.9",
  " print(lr)",
  "diff --git a/notes.md b/notes.md",
  "new file mode 100644",
  "index 0000000..3333333",
  "--- /dev/null",
  "+++ b/notes.md",
  "@@ -0,0 +1 @@",
  "+-- a/not-a-header",
  "\\ No newline at end of file",
  "",
].join("\n");

describe("parseDiff", () => {
  it("splits files and counts their lines", () => {
    const d = parseDiff(TWO_FILES);
    expect(d.files.map((f) => [f.path, f.status, f.added, f.removed])).toEqual([
      ["train.py", "modified", 2, 1],
      ["notes.md", "added", 1, 0],
    ]);
    expect([d.added, d.removed, d.cut]).toEqual([3, 1, false]);
  });
  it("numbers old and new lines", () => {
    const lines = parseDiff(TWO_FILES).files[0]?.lines ?? [];
    expect(lines.map((l) => [l.kind, l.oldNo, l.newNo, l.text])).toEqual([
      ["hunk", null, null, "@@ -1,3 +1,4 @@"],
      ["ctx", 1, 1, "import torch"],
      ["del", 2, null, "lr = 0.1"],
      ["add", null, 2, "lr = 0.01"],
      ["add", null, 3, "momentum = 0.9"],
      ["ctx", 3, 4, "print(lr)"],
    ]);
  });
  it("reads a changed line that looks like a header as a change", () => {
    const notes = parseDiff(TWO_FILES).files[1];
    expect(notes?.lines.map((l) => l.kind)).toEqual(["hunk", "add", "note"]);
    expect(notes?.lines[1]?.text).toBe("-- a/not-a-header");
  });
  it("knows deleted, renamed and binary files", () => {
    const d = parseDiff(
      [
        "diff --git a/old.txt b/old.txt",
        "deleted file mode 100644",
        "--- a/old.txt",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-bye",
        "diff --git a/a b.txt b/c.txt",
        "similarity index 100%",
        "rename from a b.txt",
        "rename to c.txt",
        "diff --git a/img.png b/img.png",
        "Binary files a/img.png and b/img.png differ",
      ].join("\n"),
    );
    expect(d.files.map((f) => [f.path, f.oldPath, f.status])).toEqual([
      ["old.txt", null, "deleted"],
      ["c.txt", "a b.txt", "renamed"],
      ["img.png", null, "binary"],
    ]);
  });
  it("reports the SDK's cut note instead of showing it, even mid-hunk", () => {
    const text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n+b\n\n[trailmark: diff cut at 1048576 bytes; the rest was not recorded]\n";
    const d = parseDiff(text);
    expect(d.cut).toBe(true);
    expect(d.files[0]?.lines.some((l) => l.text.includes("trailmark"))).toBe(false);
  });
  it("gives nothing for an empty diff", () => {
    expect(parseDiff("")).toEqual({ files: [], added: 0, removed: 0, cut: false });
  });
});
