/** The uncommitted changes of a run (`git diff HEAD` when it started): one foldable section per file. */
import { useMemo, useState } from "react";
import { parseDiff, type DiffFile } from "../../lib/gitDiff";
import { formatCount } from "../../lib/format";
import "../../styles/capture.css";

/** Files longer than this start folded, and so does the whole view when the diff is longer. */
const OPEN_FILE_LINES = 400;
const OPEN_DIFF_LINES = 1200;

const STATUS_TEXT: Record<DiffFile["status"], string> = {
  modified: "modified",
  added: "new file",
  deleted: "deleted",
  renamed: "renamed",
  binary: "binary",
  mode: "mode changed",
};

function Counts({ added, removed }: { added: number; removed: number }) {
  return (
    <span className="diff-counts mono">
      <span className="diff-plus">+{formatCount(added)}</span> <span className="diff-minus">−{formatCount(removed)}</span>
    </span>
  );
}

function FileSection({ file }: { file: DiffFile }) {
  const [open, setOpen] = useState(file.lines.length <= OPEN_FILE_LINES);
  return (
    <section className="diff-file" data-testid="diff-file" data-path={file.path}>
      <button type="button" className="diff-file-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className={open ? "chevron open" : "chevron"} aria-hidden="true">
          ▸
        </span>
        <span className="mono diff-path" title={file.oldPath ? `${file.oldPath} → ${file.path}` : file.path}>
          {file.oldPath && file.status === "renamed" ? `${file.oldPath} → ${file.path}` : file.path}
        </span>
        {file.status !== "modified" && <span className="chip">{STATUS_TEXT[file.status]}</span>}
        <span className="grow" />
        <Counts added={file.added} removed={file.removed} />
      </button>
      {open && (
        <div className="diff-body mono">
          {file.lines.length === 0 ? (
            <div className="diff-empty muted">{file.status === "binary" ? "Binary file: no text to show." : "No line changed."}</div>
          ) : (
            file.lines.map((l, i) => (
              <div key={i} className={`diff-line diff-${l.kind}`} data-testid={l.kind === "add" || l.kind === "del" ? `diff-${l.kind}` : undefined}>
                <span className="diff-no">{l.oldNo ?? ""}</span>
                <span className="diff-no">{l.newNo ?? ""}</span>
                <span className="diff-sign">{l.kind === "add" ? "+" : l.kind === "del" ? "−" : ""}</span>
                <span className="diff-text">{l.text}</span>
              </div>
            ))
          )}
        </div>
      )}
    </section>
  );
}

export function DiffView({ diff, cut }: { diff: string; cut: boolean }) {
  const parsed = useMemo(() => parseDiff(diff), [diff]);
  const total = parsed.files.reduce((n, f) => n + f.lines.length, 0);
  const [open, setOpen] = useState(total <= OPEN_DIFF_LINES);
  const wasCut = cut || parsed.cut;
  return (
    <div className="card diff-view" data-testid="diff-view">
      <div className="card-title">
        <button type="button" className="diff-toggle" aria-expanded={open} data-testid="diff-toggle" onClick={() => setOpen(!open)}>
          <span className={open ? "chevron open" : "chevron"} aria-hidden="true">
            ▸
          </span>
          <h3>Uncommitted changes</h3>
        </button>
        <span className="muted small">
          {parsed.files.length} file{parsed.files.length === 1 ? "" : "s"}
        </span>
        <Counts added={parsed.added} removed={parsed.removed} />
      </div>
      {wasCut && (
        <p className="diff-cut warning small" data-testid="diff-cut">
          The diff was too long to keep whole: only its first megabyte was recorded.
        </p>
      )}
      {open && (parsed.files.length ? parsed.files.map((f, i) => <FileSection key={`${i}:${f.path}`} file={f} />) : <pre className="code">{diff}</pre>)}
    </div>
  );
}
