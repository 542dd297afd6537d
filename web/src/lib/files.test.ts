import { describe, expect, it } from "vitest";
import { extension, folderCrumbs, formatBytes, imageType, listFolder, looksLikeText, parentFolder, previewKind, shortDigest } from "./files";

describe("formatBytes", () => {
  it("uses binary units with three significant digits", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(10 * 1024 * 1024 + 300 * 1024)).toBe("10.3 MiB");
    expect(formatBytes(300 * 1024 ** 3)).toBe("300 GiB");
  });
  it("leaves unknown sizes blank", () => {
    expect(formatBytes(null)).toBe("");
    expect(formatBytes(-1)).toBe("");
    expect(formatBytes(NaN)).toBe("");
  });
});

describe("files", () => {
  it("shortens digests and finds extensions", () => {
    expect(shortDigest("ab".repeat(32))).toBe("abababababab");
    expect(shortDigest(null)).toBe("");
    expect(extension("data/Train.CSV")).toBe("csv");
    expect(extension(".gitignore")).toBe("");
    expect(extension("a.b/README")).toBe("");
    expect(parentFolder("a/b/c.txt")).toBe("a/b");
    expect(parentFolder("c.txt")).toBe("");
  });

  it("chooses a preview by extension", () => {
    expect(previewKind({ path: "notes.TXT" })).toBe("text");
    expect(previewKind({ path: "img/cat.png" })).toBe("image");
    expect(previewKind({ path: "logo.svg" })).toBe("image");
    expect(previewKind({ path: "config.json" })).toBe("json");
    expect(previewKind({ path: "t.csv" })).toBe("table");
    expect(previewKind({ path: "part-0.parquet" })).toBe("table");
    expect(previewKind({ path: "model.pt" })).toBe("binary");
    expect(previewKind({ path: "LICENSE" })).toBe("text");
    expect(previewKind({ path: "blob" })).toBe("unknown");
    expect(previewKind({ path: "val.csv", ref: "s3://bucket/val.csv" })).toBe("reference");
    expect(imageType("a.JPG")).toBe("image/jpeg");
    expect(imageType("a.txt")).toBeNull();
  });

  it("tells text from binary by the first bytes", () => {
    const enc = new TextEncoder();
    expect(looksLikeText(enc.encode("hello\nwörld\t✓"))).toBe(true);
    expect(looksLikeText(new Uint8Array([]))).toBe(true);
    expect(looksLikeText(new Uint8Array([0x68, 0x00, 0x69]))).toBe(false);
    expect(looksLikeText(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false); // PNG
    const cut = enc.encode("ab✓").slice(0, 4); // the check mark cut after its first byte
    expect(looksLikeText(cut)).toBe(true);
  });
});

describe("listFolder", () => {
  const entries = [
    { path: "README.md", size: 10, digest: "a" },
    { path: "data/train/0.bin", size: 100, digest: "b" },
    { path: "data/train/1.bin", size: 50, digest: "c" },
    { path: "data/val.csv", size: 7, digest: "d" },
    { path: "a.txt", size: 1, digest: "e" },
  ];

  it("lists folders first, then files, with what the folders hold", () => {
    const top = listFolder(entries, "");
    expect(top.map((r) => `${r.kind}:${r.name}`)).toEqual(["folder:data", "file:README.md", "file:a.txt"]);
    expect(top[0]).toMatchObject({ path: "data", files: 3, size: 157 });
  });

  it("lists a sub-folder", () => {
    const data = listFolder(entries, "data/");
    expect(data.map((r) => `${r.kind}:${r.path}`)).toEqual(["folder:data/train", "file:data/val.csv"]);
    expect(listFolder(entries, "data")).toEqual(data);
    expect(listFolder(entries, "nope")).toEqual([]);
  });

  it("makes breadcrumbs", () => {
    expect(folderCrumbs("a/b/c")).toEqual([
      { name: "a", path: "a" },
      { name: "b", path: "a/b" },
      { name: "c", path: "a/b/c" },
    ]);
    expect(folderCrumbs("")).toEqual([]);
  });
});
