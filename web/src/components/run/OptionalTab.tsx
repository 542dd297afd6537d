/** Files: an API that comes later. A 404 shows a helpful "not captured yet" state. */
import { fetchOptional } from "../../api/endpoints";
import { useAsync } from "../../hooks/useAsync";
import { formatCount } from "../../lib/format";
import { EmptyState, ErrorMessage, Loading } from "../common";

interface FilesResponse {
  files?: { path: string; size?: number }[];
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
