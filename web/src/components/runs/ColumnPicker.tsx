/** A searchable list of config keys and summary metrics to show as table columns. */
import { useEffect, useMemo, useRef, useState } from "react";
import type { Columns } from "../../api/types";

interface Props {
  catalog: Columns;
  selected: string[];
  onChange: (columns: string[]) => void;
}

export function ColumnPicker({ catalog, selected, onChange }: Props) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const groups = useMemo(() => {
    const q = query.toLowerCase();
    const f = (list: string[], root: string) => list.map((k) => `${root}.${k}`).filter((id) => !q || id.toLowerCase().includes(q));
    return [
      { title: "Summary metrics", ids: f(catalog.summary, "summary") },
      { title: "Config", ids: f(catalog.config, "config") },
    ];
  }, [catalog, query]);

  const toggle = (id: string) => onChange(selected.includes(id) ? selected.filter((c) => c !== id) : [...selected, id]);

  return (
    <div className="popover-anchor" ref={box}>
      <button
        type="button"
        className="btn"
        data-testid="column-picker"
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => setOpen((o) => !o)}
      >
        Columns{selected.length ? ` (${selected.length})` : ""}
      </button>
      {open && (
        <div className="popover column-popover" role="dialog" aria-label="Choose columns">
          <input
            className="input"
            type="search"
            autoFocus
            placeholder="Search keys"
            aria-label="Search columns"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          <div className="popover-list">
            {groups.map((g) => (
              <div key={g.title}>
                <div className="popover-group">{g.title}</div>
                {g.ids.length === 0 && <div className="muted small pad">None{query ? " match" : ""}</div>}
                {g.ids.map((id) => (
                  <label key={id} className="popover-item" data-column={id}>
                    <input type="checkbox" checked={selected.includes(id)} onChange={() => toggle(id)} />
                    <span className="mono">{id.slice(id.indexOf(".") + 1)}</span>
                  </label>
                ))}
              </div>
            ))}
          </div>
          {selected.length > 0 && (
            <button type="button" className="link-btn small" onClick={() => onChange([])}>
              Remove all extra columns
            </button>
          )}
        </div>
      )}
    </div>
  );
}
