/** Logs and files: APIs that come later. A 404 shows a helpful "not captured yet" state. */
import { fetchOptional } from "../../api/endpoints";
import { useAsync } from "../../hooks/useAsync";
import { formatCount } from "../../lib/format";
import { EmptyState, ErrorMessage, Loading } from "../common";

interface LogsResponse {
  lines?: (string | { text?: string; line?: string })[];
  text?: string;
}
interface FilesResponse {
  files?: { path: string; size?: number }[];
}

export function LogsTab({ path }: { path: string }) {
  const { data, error, loading, reload } = useAsync((s) => fetchOptional<LogsResponse>(path, s), [path]);
  if (loading && data === undefined) return <Loading label="Loading logs…" />;
  if (error) return <ErrorMessage error={error} onRetry={reload} />;
  const lines = data?.lines?.map((l) => (typeof l === "string" ? l : (l.text ?? l.line ?? ""))) ?? (data?.text ? data.text.split("\n") : null);
  if (!lines || lines.length === 0) {
    return (
      <EmptyState title="No console output captured yet">
        <p>This server doesn't keep runs' console logs yet; when it does, stdout and stderr of the training script will show here.</p>
      </EmptyState>
    );
  }
  return <pre className="code logs">{lines.join("\n")}</pre>;
}

export function FilesTab({ path }: { path: string }) {
  const { data, error, loading, reload } = useAsync((s) => fetchOptional<FilesResponse>(path, s), [path]);
  if (loading && data === undefined) return <Loading label="Loading files…" />;
  if (error) return <ErrorMessage error={error} onRetry={reload} />;
  const files = data?.files ?? [];
  if (files.length === 0) {
    return (
      <EmptyState title="No files captured yet">
        <p>Files saved with the run (checkpoints, configs, artifacts) will be listed here once the server supports them.</p>
      </EmptyState>
    );
  }
  return (
    <table className="summary-table">
      <thead>
        <tr>
          <th>File</th>
          <th className="num">Size</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.path}>
            <td className="mono">{f.path}</td>
            <td className="num">{f.size === undefined ? "" : `${formatCount(f.size)} B`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
