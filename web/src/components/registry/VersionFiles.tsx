/**
 * A version's files beside the preview of the selected one. The open folder (`dir`), the page
 * of the listing (`offset`) and the selected file (`file`) live in the URL.
 */
import "../../styles/registry.css";
import type { FileSource } from "../../api/registry";
import { useQueryParams } from "../../hooks/useQueryParams";
import { FilePreview } from "./FilePreview";
import { Manifest } from "./Manifest";

export function VersionFiles({ source }: { source: FileSource }) {
  const [params, setParams] = useQueryParams();
  const dir = params.get("dir") ?? "";
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const file = params.get("file");
  return (
    <div className="version-files">
      <div className="card files-card">
        <Manifest
          source={source}
          prefix={dir}
          offset={offset}
          selected={file}
          onNavigate={(w) => setParams({ dir: w.prefix, offset: w.offset || null })}
          onSelect={(path) => setParams({ file: path })}
        />
      </div>
      {file ? (
        <FilePreview key={`${source.base}|${file}`} source={source} path={file} onClose={() => setParams({ file: null })} />
      ) : (
        <div className="card preview-placeholder muted" data-testid="preview-placeholder">
          Select a file to preview it: text, images, JSON, CSV and Parquet tables are shown here.
        </div>
      )}
    </div>
  );
}
