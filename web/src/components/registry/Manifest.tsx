/**
 * The files of a version as a folder tree: one page of the manifest (under the open folder)
 * grouped into sub-folders and files. Big manifests are paged on the server.
 */
import "../../styles/registry.css";
import { listFiles, type FileSource } from "../../api/registry";
import { useAsync } from "../../hooks/useAsync";
import { folderCrumbs, formatBytes, listFolder, parentFolder } from "../../lib/files";
import { formatCount } from "../../lib/format";
import { EnterInput } from "../EnterInput";
import { EmptyState, ErrorMessage, Loading } from "../common";
import { Digest } from "./Chips";

export const MANIFEST_PAGE = 500;

export interface ManifestProps {
  source: FileSource;
  prefix: string;
  offset: number;
  selected: string | null;
  onNavigate: (where: { prefix: string; offset: number }) => void;
  onSelect: (path: string) => void;
}

export function Manifest({ source, prefix, offset, selected, onNavigate, onSelect }: ManifestProps) {
  const { data, error, loading, reload } = useAsync(
    (signal) => listFiles(source, { prefix, limit: MANIFEST_PAGE, offset }, signal),
    [source.base, prefix, offset],
  );

  const rows = data ? listFolder(data.files, prefix) : [];
  const total = data?.total ?? 0;
  const paged = total > MANIFEST_PAGE;
  const go = (p: string) => onNavigate({ prefix: p.replace(/^\/+|\/+$/g, ""), offset: 0 });

  return (
    <div className="manifest" data-testid="manifest" data-total={data ? total : undefined} data-prefix={prefix}>
      <div className="manifest-bar">
        <nav className="manifest-crumbs" aria-label="Folder">
          <button type="button" className="link-btn" data-testid="manifest-crumb" data-path="" onClick={() => go("")}>
            all files
          </button>
          {folderCrumbs(prefix).map((c) => (
            <span key={c.path}>
              <span className="crumb-sep">/</span>
              <button type="button" className="link-btn" data-testid="manifest-crumb" data-path={c.path} onClick={() => go(c.path)}>
                {c.name}
              </button>
            </span>
          ))}
        </nav>
        <EnterInput
          formClassName="manifest-prefix"
          className="input small-input-inline"
          data-testid="manifest-prefix"
          aria-label="Open a folder by path"
          placeholder="folder/path, Enter"
          value={prefix}
          onEnter={go}
        />
      </div>
      {error ? <ErrorMessage error={error} onRetry={reload} compact /> : null}
      {loading && !data ? <Loading label="Loading files…" /> : null}
      {data && total === 0 ? (
        <EmptyState title={prefix ? "No files in this folder" : "This version has no files"}>
          {prefix ? (
            <p>
              Nothing is stored under <code>{prefix}/</code>.{" "}
              <button type="button" className="link-btn" onClick={() => go("")}>
                Show all files
              </button>
            </p>
          ) : null}
        </EmptyState>
      ) : null}
      {data && total > 0 ? (
        <table className="reg-table manifest-table">
          <thead>
            <tr>
              <th>Path</th>
              <th className="num">Size</th>
              <th>Digest</th>
            </tr>
          </thead>
          <tbody>
            {prefix ? (
              <tr className="clickable" data-testid="manifest-row" data-kind="up" onClick={() => go(parentFolder(prefix))}>
                <td colSpan={3}>
                  <span className="file-icon folder" aria-hidden="true" /> ..
                </td>
              </tr>
            ) : null}
            {rows.map((row) =>
              row.kind === "folder" ? (
                <tr key={`d:${row.path}`} className="clickable" data-testid="manifest-row" data-kind="folder" data-path={row.path} onClick={() => go(row.path)}>
                  <td>
                    <span className="file-icon folder" aria-hidden="true" />
                    <button type="button" className="link-btn file-name" onClick={(e) => {
                        e.stopPropagation();
                        go(row.path);
                      }}>
                      {row.name}/
                    </button>
                    <span className="muted small"> {formatCount(row.files)} {row.files === 1 ? "file" : "files"}</span>
                  </td>
                  <td className="num">{formatBytes(row.size)}</td>
                  <td />
                </tr>
              ) : (
                <tr
                  key={`f:${row.path}`}
                  className={row.path === selected ? "clickable selected" : "clickable"}
                  data-testid="manifest-row"
                  data-kind="file"
                  data-path={row.path}
                  aria-selected={row.path === selected}
                  onClick={() => onSelect(row.path)}
                >
                  <td>
                    <span className={row.entry.ref ? "file-icon ref" : "file-icon"} aria-hidden="true" />
                    <button type="button" className="link-btn file-name" onClick={(e) => {
                        e.stopPropagation();
                        onSelect(row.path);
                      }}>
                      {row.name}
                    </button>
                    {row.entry.ref ? <span className="type-chip">reference</span> : null}
                  </td>
                  <td className="num">{formatBytes(row.entry.size)}</td>
                  <td>
                    <Digest digest={row.entry.digest ?? row.entry.etag} />
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      ) : null}
      {data && paged ? (
        <div className="pager" data-testid="manifest-pager">
          <span className="muted small">
            Files {formatCount(offset + 1)}–{formatCount(offset + data.files.length)} of {formatCount(total)}
            {prefix ? ` under ${prefix}/` : ""}; folder counts cover this page.
          </span>
          <button
            type="button"
            className="btn small"
            data-testid="manifest-prev"
            disabled={offset === 0}
            onClick={() => onNavigate({ prefix, offset: Math.max(0, offset - MANIFEST_PAGE) })}
          >
            Previous
          </button>
          <button
            type="button"
            className="btn small"
            data-testid="manifest-next"
            disabled={data.next_offset === null}
            onClick={() => onNavigate({ prefix, offset: data.next_offset ?? offset })}
          >
            Next
          </button>
        </div>
      ) : null}
    </div>
  );
}
