/**
 * A unified diff (`git diff HEAD`, as the SDK records it) split into files, hunks and lines with
 * their old and new line numbers. Hunk line counts decide where a hunk ends, so a removed line
 * that reads "-- a/x" is not taken for a file header. The SDK's note that it cut a long diff is
 * recognised and reported instead of shown as a line.
 */

export type DiffLineKind = "add" | "del" | "ctx" | "hunk" | "note";

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  oldNo: number | null;
  newNo: number | null;
}

export type DiffFileStatus = "modified" | "added" | "deleted" | "renamed" | "binary" | "mode";

export interface DiffFile {
  path: string;
  oldPath: string | null;
  status: DiffFileStatus;
  added: number;
  removed: number;
  lines: DiffLine[];
}

export interface ParsedDiff {
  files: DiffFile[];
  added: number;
  removed: number;
  /** The SDK kept only the first part of a longer diff. */
  cut: boolean;
}

const CUT_NOTE = /^\[trailmark: diff cut at \d+ bytes/;
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function unquote(path: string): string {
  if (path.length >= 2 && path.startsWith('"') && path.endsWith('"')) {
    return path.slice(1, -1).replace(/\\(["\\])/g, "$1").replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  }
  return path;
}

function stripPrefix(path: string): string {
  const p = unquote(path.trim());
  return p.startsWith("a/") || p.startsWith("b/") ? p.slice(2) : p;
}

/** The paths of "diff --git a/x b/y" (ambiguous when names hold " b/": later headers refine it). */
function headerPaths(rest: string): [string, string] {
  const quoted = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
  if (quoted) return [stripPrefix(quoted[1] as string), stripPrefix(quoted[2] as string)];
  const i = rest.lastIndexOf(" b/");
  if (i > 0) return [stripPrefix(rest.slice(0, i)), stripPrefix(rest.slice(i + 1))];
  return [stripPrefix(rest), stripPrefix(rest)];
}

export function parseDiff(text: string): ParsedDiff {
  const files: DiffFile[] = [];
  let cut = false;
  let file: DiffFile | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let oldNo = 0;
  let newNo = 0;

  const startFile = (path: string, oldPath: string | null): DiffFile => {
    const f: DiffFile = { path, oldPath, status: "modified", added: 0, removed: 0, lines: [] };
    files.push(f);
    return f;
  };

  const lines = text.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (CUT_NOTE.test(line)) {
      cut = true;
      continue;
    }
    if (file && (oldLeft > 0 || newLeft > 0)) {
      const c = line[0];
      if (c === "+") {
        file.lines.push({ kind: "add", text: line.slice(1), oldNo: null, newNo: newNo++ });
        file.added++;
        newLeft--;
        continue;
      }
      if (c === "-") {
        file.lines.push({ kind: "del", text: line.slice(1), oldNo: oldNo++, newNo: null });
        file.removed++;
        oldLeft--;
        continue;
      }
      if (c === " " || line === "") {
        file.lines.push({ kind: "ctx", text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (c === "\\") {
        file.lines.push({ kind: "note", text: line, oldNo: null, newNo: null });
        continue;
      }
      oldLeft = newLeft = 0; // a short hunk (a cut diff): read the line as a header
    }
    if (line.startsWith("diff --git ")) {
      const [a, b] = headerPaths(line.slice("diff --git ".length));
      file = startFile(b, a !== b ? a : null);
      continue;
    }
    if (file && line.startsWith("\\")) {
      file.lines.push({ kind: "note", text: line, oldNo: null, newNo: null });
      continue;
    }
    const hunk = HUNK.exec(line);
    if (hunk) {
      if (!file) file = startFile("(unnamed)", null);
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[3]);
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      file.lines.push({ kind: "hunk", text: line, oldNo: null, newNo: null });
      continue;
    }
    if (!file) {
      if (line.trim()) file = startFile("(unnamed)", null);
      else continue;
    }
    if (line.startsWith("--- ")) {
      const p = line.slice(4);
      if (p === "/dev/null") file.status = "added";
      else if (!file.oldPath && stripPrefix(p) !== file.path) file.oldPath = stripPrefix(p);
    } else if (line.startsWith("+++ ")) {
      const p = line.slice(4);
      if (p === "/dev/null") {
        file.status = "deleted";
        if (file.oldPath) file.path = file.oldPath;
      } else file.path = stripPrefix(p);
    } else if (line.startsWith("new file mode")) file.status = "added";
    else if (line.startsWith("deleted file mode")) file.status = "deleted";
    else if (line.startsWith("rename from ")) {
      file.oldPath = unquote(line.slice("rename from ".length));
      file.status = "renamed";
    } else if (line.startsWith("rename to ")) {
      file.path = unquote(line.slice("rename to ".length));
      file.status = "renamed";
    } else if (line.startsWith("Binary files ") || line === "GIT binary patch") {
      file.status = "binary";
    } else if (line.startsWith("old mode ") || line.startsWith("new mode ")) {
      if (file.status === "modified") file.status = "mode";
    }
  }
  for (const f of files) {
    if (f.status === "mode" && (f.added || f.removed)) f.status = "modified";
    if (f.status !== "renamed" && f.oldPath === f.path) f.oldPath = null;
  }
  return {
    files,
    added: files.reduce((n, f) => n + f.added, 0),
    removed: files.reduce((n, f) => n + f.removed, 0),
    cut,
  };
}
