/**
 * A preview of one file of a version: text, images, JSON, tables (CSV, TSV and Parquet, read
 * on the server), references to outside storage, or a download link for everything else.
 * Contents are always rendered as text or as an <img> of a blob (an SVG shown that way cannot
 * run script); nothing is parsed as HTML.
 */
import { useEffect, useState } from "react";
import "../../styles/registry.css";
import { isAbort } from "../../api/client";
import { fileUrl, listFiles, readFileHead, tablePreview, type FileSource } from "../../api/registry";
import { useAsync } from "../../hooks/useAsync";
import { baseName, formatBytes, imageType, looksLikeText, previewKind, type ManifestEntry, type PreviewKind } from "../../lib/files";
import { formatCount } from "../../lib/format";
import { ErrorMessage, Loading } from "../common";
import { JsonTree } from "./JsonTree";

export const TEXT_PREVIEW_BYTES = 64 * 1024;
export const JSON_PREVIEW_BYTES = 2 * 1024 * 1024;
export const IMAGE_PREVIEW_BYTES = 25 * 1024 * 1024;
export const TABLE_PREVIEW_ROWS = 100;

/** The manifest entry of one path (the first entry under it as a prefix is the path itself). */
async function findEntry(source: FileSource, path: string, signal: AbortSignal): Promise<ManifestEntry | null> {
  const page = await listFiles(source, { prefix: path, limit: 1 }, signal);
  const entry = page.files[0];
  return entry && entry.path === path ? entry : null;
}

export function FilePreview({ source, path, onClose }: { source: FileSource; path: string; onClose?: () => void }) {
  const { data: entry, error, loading, reload } = useAsync((signal) => findEntry(source, path, signal), [source.base, path]);
  const kind: PreviewKind | null = entry ? previewKind(entry) : null;
  const url = fileUrl(source, path);
  return (
    <section className="card file-preview" data-testid="file-preview" data-path={path} data-kind={kind ?? undefined}>
      <div className="preview-head">
        <div className="preview-title">
          <h3 className="mono preview-path" title={path}>
            {path}
          </h3>
          {entry ? (
            <span className="muted small">
              {formatBytes(entry.size)}
              {entry.digest ? (
                <>
                  {" · sha256 "}
                  <code className="digest" title={entry.digest}>
                    {entry.digest.slice(0, 16)}
                  </code>
                </>
              ) : null}
            </span>
          ) : null}
        </div>
        <div className="preview-actions">
          {entry && !entry.ref ? (
            <a className="btn small" href={url} download={baseName(path)} data-testid="download-link">
              Download
            </a>
          ) : null}
          {onClose ? (
            <button type="button" className="btn small" onClick={onClose} aria-label="Close the preview">
              Close
            </button>
          ) : null}
        </div>
      </div>
      {error ? <ErrorMessage error={error} onRetry={reload} compact /> : null}
      {loading && !entry ? <Loading label="Loading…" /> : null}
      {!loading && !error && !entry ? (
        <p className="muted" data-testid="preview-missing">
          {source.label} has no file <code>{path}</code>.
        </p>
      ) : null}
      {entry && kind ? <PreviewBody source={source} entry={entry} kind={kind} url={url} /> : null}
    </section>
  );
}

function PreviewBody({ source, entry, kind, url }: { source: FileSource; entry: ManifestEntry; kind: PreviewKind; url: string }) {
  switch (kind) {
    case "reference":
      return <ReferencePreview entry={entry} />;
    case "image":
      return <ImagePreview url={url} entry={entry} />;
    case "json":
      return <JsonPreview url={url} entry={entry} />;
    case "table":
      return <TablePreviewView source={source} entry={entry} />;
    case "text":
    case "unknown":
      return <TextPreview url={url} entry={entry} sniff={kind === "unknown"} />;
    default:
      return <BinaryPreview entry={entry} url={url} />;
  }
}

function ReferencePreview({ entry }: { entry: ManifestEntry }) {
  const ref = entry.ref ?? "";
  const web = /^https?:\/\//i.test(ref);
  return (
    <div className="preview-note" data-testid="preview-reference">
      <p>
        A reference: the file stays where it is and is tracked by its {entry.digest ? "digest" : "ETag"}, so it is not previewed
        here.
      </p>
      <p className="mono ref-uri">
        {web ? (
          <a href={ref} target="_blank" rel="noopener noreferrer">
            {ref}
          </a>
        ) : (
          ref
        )}
      </p>
      {entry.etag ? <p className="muted small">ETag {entry.etag}</p> : null}
    </div>
  );
}

function BinaryPreview({ entry, url }: { entry: ManifestEntry; url: string }) {
  return (
    <div className="preview-note" data-testid="preview-binary">
      <p>No preview for this kind of file.</p>
      <a className="btn" href={url} download={baseName(entry.path)}>
        Download {formatBytes(entry.size)}
      </a>
    </div>
  );
}

function Truncation({ shown, size }: { shown: number; size: number }) {
  return (
    <p className="muted small" data-testid="preview-truncated">
      Showing the first {formatBytes(shown)} of {formatBytes(size)}; download the file for the rest.
    </p>
  );
}

function TextPreview({ url, entry, sniff }: { url: string; entry: ManifestEntry; sniff: boolean }) {
  const { data, error, loading } = useAsync((signal) => readFileHead(url, TEXT_PREVIEW_BYTES, signal), [url]);
  if (error) return <ErrorMessage error={error} compact />;
  if (loading || !data) return <Loading label="Reading the file…" />;
  if (sniff && !looksLikeText(data.bytes)) return <BinaryPreview entry={entry} url={url} />;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data.bytes);
  return (
    <>
      {data.truncated ? <Truncation shown={data.bytes.length} size={entry.size} /> : null}
      {text.length === 0 ? (
        <p className="muted" data-testid="preview-text">
          The file is empty.
        </p>
      ) : (
        <pre className="preview-text" data-testid="preview-text">
          {text}
        </pre>
      )}
    </>
  );
}

function JsonPreview({ url, entry }: { url: string; entry: ManifestEntry }) {
  const [raw, setRaw] = useState(false);
  const { data, error, loading } = useAsync((signal) => readFileHead(url, JSON_PREVIEW_BYTES, signal), [url]);
  if (error) return <ErrorMessage error={error} compact />;
  if (loading || !data) return <Loading label="Reading the file…" />;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data.bytes);
  let parsed: { ok: true; value: unknown } | { ok: false; message: string };
  if (data.truncated) parsed = { ok: false, message: `It is larger than ${formatBytes(JSON_PREVIEW_BYTES)}, so it is shown as text.` };
  else {
    try {
      parsed = { ok: true, value: JSON.parse(text) as unknown };
    } catch (e) {
      parsed = { ok: false, message: `It is not valid JSON (${e instanceof Error ? e.message : String(e)}).` };
    }
  }
  if (!parsed.ok || raw) {
    const shown = text.slice(0, TEXT_PREVIEW_BYTES);
    return (
      <>
        {!parsed.ok ? <p className="muted small">{parsed.message}</p> : null}
        {parsed.ok ? (
          <button type="button" className="link-btn preview-toggle" onClick={() => setRaw(false)}>
            Show as a tree
          </button>
        ) : null}
        {shown.length < text.length || data.truncated ? <Truncation shown={shown.length} size={entry.size} /> : null}
        <pre className="preview-text" data-testid="preview-text">
          {shown}
        </pre>
      </>
    );
  }
  return (
    <div data-testid="preview-json">
      <button type="button" className="link-btn preview-toggle" onClick={() => setRaw(true)}>
        Show the raw text
      </button>
      <JsonTree value={parsed.value} openDepth={3} />
    </div>
  );
}

function ImagePreview({ url, entry }: { url: string; entry: ManifestEntry }) {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [broken, setBroken] = useState(false);
  const tooLarge = entry.size > IMAGE_PREVIEW_BYTES;

  useEffect(() => {
    if (tooLarge) return;
    const ctrl = new AbortController();
    let objectUrl: string | null = null;
    setSrc(null);
    setError(null);
    setBroken(false);
    readFileHead(url, IMAGE_PREVIEW_BYTES, ctrl.signal)
      .then(({ bytes }) => {
        if (ctrl.signal.aborted) return;
        // A blob with the type the extension names: the server sends every file as
        // application/octet-stream, and an <img> never runs an SVG's scripts.
        objectUrl = URL.createObjectURL(new Blob([bytes], { type: imageType(entry.path) ?? "application/octet-stream" }));
        setSrc(objectUrl);
      })
      .catch((e: unknown) => {
        if (!isAbort(e)) setError(e);
      });
    return () => {
      ctrl.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url, entry.path, tooLarge]);

  if (tooLarge)
    return (
      <div className="preview-note" data-testid="preview-binary">
        <p>This image is too large to preview ({formatBytes(entry.size)}).</p>
        <a className="btn" href={url} download={baseName(entry.path)}>
          Download
        </a>
      </div>
    );
  if (error) return <ErrorMessage error={error} compact />;
  if (!src) return <Loading label="Loading the image…" />;
  if (broken) return <BinaryPreview entry={entry} url={url} />;
  return (
    <div className="preview-image-wrap">
      <img data-testid="preview-image" className="preview-image" src={src} alt={baseName(entry.path)} onError={() => setBroken(true)} />
    </div>
  );
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function TablePreviewView({ source, entry }: { source: FileSource; entry: ManifestEntry }) {
  const { data, error, loading, reload } = useAsync(
    (signal) => tablePreview(source, entry.path, TABLE_PREVIEW_ROWS, signal),
    [source.base, entry.path],
  );
  if (error) return <ErrorMessage error={error} onRetry={reload} compact />;
  if (loading || !data) return <Loading label="Reading the table…" />;
  const total = data.total_rows;
  return (
    <div data-testid="preview-table" data-format={data.format} data-rows={data.rows.length} data-total={total ?? undefined}>
      <p className="muted small">
        {data.format.toUpperCase()} · {formatCount(data.columns.length)} columns ·{" "}
        {total === null
          ? `the first ${formatCount(data.rows.length)} rows (the file is too large to count them all)`
          : data.truncated
            ? `the first ${formatCount(data.rows.length)} of ${formatCount(total)} rows`
            : `${formatCount(total)} ${total === 1 ? "row" : "rows"}`}
      </p>
      {data.columns.length === 0 ? (
        <p className="muted">The table is empty.</p>
      ) : (
        <div className="preview-table-wrap">
          <table className="reg-table preview-table">
            <thead>
              <tr>
                <th className="row-num">#</th>
                {data.columns.map((c, i) => (
                  <th key={i} title={data.types?.[i] ? `${c}: ${data.types[i]}` : c}>
                    <span className="col-name">{c}</span>
                    {data.types?.[i] ? <span className="col-type">{data.types[i]}</span> : null}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.rows.map((row, r) => (
                <tr key={r}>
                  <td className="row-num">{r + 1}</td>
                  {data.columns.map((_, c) => {
                    const v = row[c];
                    return (
                      <td key={c} className={typeof v === "number" ? "num" : v === null && data.format === "parquet" ? "null" : undefined}>
                        {v === null && data.format === "parquet" ? "null" : cellText(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
