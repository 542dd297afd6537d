/**
 * Files of artifact and model versions: sizes, digests, what kind of preview a file gets, and
 * the folder view of a flat, path-sorted manifest.
 */

import type { Answer } from "../api/types";

/** A file of a version: path, size, digest (references add `ref` and `etag`). */
export type ManifestEntry = Answer<"/api/v1/projects/{project}/artifacts/{name}/versions/{ref}/files">["files"][number];

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5 KiB"; three significant digits, binary units as the server's limits use. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return "";
  if (n < 1024) return `${n} B`;
  let v = n;
  let unit = 0;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  const text = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${text.includes(".") ? text.replace(/\.?0+$/, "") : text} ${UNITS[unit]}`;
}

/** The first 12 hex digits of a sha256, enough to tell files apart at a glance. */
export function shortDigest(digest: string | null | undefined): string {
  return digest ? digest.slice(0, 12) : "";
}

/** The lower-case extension without the dot ("" if none): "data/Train.CSV" → "csv". */
export function extension(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  bmp: "image/bmp",
  ico: "image/x-icon",
  avif: "image/avif",
};

const TEXT_EXTENSIONS = new Set(
  (
    "txt text md markdown rst log out err py pyi ipynb r jl sh bash zsh js mjs cjs ts tsx jsx css scss " +
    "html htm xml yaml yml toml ini cfg conf env properties sql c h cc cpp hpp cu java kt go rs rb pl " +
    "lua swift scala m tex bib jsonl ndjson gitignore dockerfile makefile license readme srt vtt"
  ).split(" "),
);

const TABLE_EXTENSIONS = new Set(["csv", "tsv", "parquet", "pq"]);

const BINARY_EXTENSIONS = new Set(
  (
    "pt pth bin ckpt safetensors onnx pb h5 hdf5 keras npy npz pkl pickle joblib zip gz tgz tar bz2 xz zst " +
    "7z whl so dll exe dylib o a class jar mp3 wav flac ogg mp4 mov avi mkv webm pdf tfrecord arrow feather " +
    "orc avro lmdb db sqlite mdb msgpack"
  ).split(" "),
);

export type PreviewKind = "text" | "image" | "json" | "table" | "reference" | "binary" | "unknown";

/** How a file is previewed: by its extension; "unknown" files are sniffed for text. */
export function previewKind(entry: Pick<ManifestEntry, "path" | "ref">): PreviewKind {
  if (entry.ref) return "reference";
  const ext = extension(entry.path);
  const name = baseName(entry.path).toLowerCase();
  if (ext in IMAGE_TYPES) return "image";
  if (ext === "json" || ext === "geojson") return "json";
  if (TABLE_EXTENSIONS.has(ext)) return "table";
  if (TEXT_EXTENSIONS.has(ext) || TEXT_EXTENSIONS.has(name)) return "text";
  if (BINARY_EXTENSIONS.has(ext)) return "binary";
  return "unknown";
}

/** The MIME type an image preview is shown with (by extension), or null for non-images. */
export function imageType(path: string): string | null {
  return IMAGE_TYPES[extension(path)] ?? null;
}

/**
 * Whether the first bytes of a file look like text: no NUL byte, valid UTF-8 (a character cut
 * off at the end of the sample is fine) and few control characters.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  let control = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b === 0) return false;
    if (b < 0x80) {
      if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) control++;
      i++;
      continue;
    }
    const need = b >= 0xf0 && b <= 0xf4 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
    if (need < 0) return false;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return control <= bytes.length / 100; // cut off at the end
      const c = bytes[i + k] as number;
      if ((c & 0xc0) !== 0x80) return false;
    }
    i += need + 1;
  }
  return control <= bytes.length / 100;
}

export interface FolderRow {
  kind: "folder";
  name: string;
  path: string;
  files: number;
  size: number;
}

export interface FileRow {
  kind: "file";
  name: string;
  path: string;
  entry: ManifestEntry;
}

export type TreeRow = FolderRow | FileRow;

/**
 * The direct children of folder `prefix` ("" for the top) among `entries`: sub-folders first
 * (with the number and size of the files under them among `entries`), then files, by name.
 */
export function listFolder(entries: readonly ManifestEntry[], prefix: string): TreeRow[] {
  const base = prefix ? `${prefix.replace(/\/+$/, "")}/` : "";
  const folders = new Map<string, FolderRow>();
  const files: FileRow[] = [];
  for (const entry of entries) {
    if (!entry.path.startsWith(base)) continue;
    const rest = entry.path.slice(base.length);
    const slash = rest.indexOf("/");
    if (slash < 0) {
      files.push({ kind: "file", name: rest, path: entry.path, entry });
      continue;
    }
    const name = rest.slice(0, slash);
    let folder = folders.get(name);
    if (!folder) {
      folder = { kind: "folder", name, path: base + name, files: 0, size: 0 };
      folders.set(name, folder);
    }
    folder.files++;
    folder.size += entry.size;
  }
  const byName = (a: TreeRow, b: TreeRow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return [...[...folders.values()].sort(byName), ...files.sort(byName)];
}

/** Breadcrumbs of a folder: "a/b" → [{name: "a", path: "a"}, {name: "b", path: "a/b"}]. */
export function folderCrumbs(prefix: string): { name: string; path: string }[] {
  const parts = prefix.split("/").filter(Boolean);
  return parts.map((name, i) => ({ name, path: parts.slice(0, i + 1).join("/") }));
}

/** The folder holding a file path ("" at the top). */
export function parentFolder(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}
