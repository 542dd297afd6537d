/** In-place editors for a run's tags and notes; each change is saved with PATCH. */
import { useEffect, useState, type KeyboardEvent } from "react";
import { ErrorMessage } from "../common";

type Save<T> = (value: T) => Promise<void>;

function useSaver<T>(save: Save<T>) {
  const [status, setStatus] = useState<"idle" | "saving" | "saved">("idle");
  const [error, setError] = useState<unknown>(null);
  const run = async (v: T) => {
    setStatus("saving");
    setError(null);
    try {
      await save(v);
      setStatus("saved");
      window.setTimeout(() => setStatus((s) => (s === "saved" ? "idle" : s)), 1500);
    } catch (e) {
      setError(e);
      setStatus("idle");
    }
  };
  return { status, error, run };
}

export function TagsEditor({ tags, onSave }: { tags: string[]; onSave: Save<string[]> }) {
  const [text, setText] = useState("");
  const saver = useSaver(onSave);
  const add = () => {
    const t = text.trim();
    if (!t) return;
    setText("");
    if (!tags.includes(t)) void saver.run([...tags, t]);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      add();
    } else if (e.key === "Backspace" && !text && tags.length) {
      void saver.run(tags.slice(0, -1));
    }
  };
  return (
    <div className="tags-editor" data-testid="tags-editor">
      <div className="tag-list">
        {tags.map((t) => (
          <span key={t} className="tag editable">
            {t}
            <button type="button" aria-label={`Remove tag ${t}`} onClick={() => void saver.run(tags.filter((x) => x !== t))}>
              ×
            </button>
          </span>
        ))}
        <input
          className="tag-input"
          placeholder={tags.length ? "Add tag" : "Add a tag and press Enter"}
          aria-label="Add a tag"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          onBlur={add}
        />
        {saver.status !== "idle" && <span className="muted small">{saver.status === "saving" ? "Saving…" : "Saved"}</span>}
      </div>
      {saver.error ? <ErrorMessage error={saver.error} compact /> : null}
    </div>
  );
}

export function NotesEditor({ notes, onSave }: { notes: string; onSave: Save<string> }) {
  const [text, setText] = useState(notes);
  const saver = useSaver(onSave);
  useEffect(() => setText(notes), [notes]);
  const dirty = text !== notes;
  const save = () => {
    if (dirty) void saver.run(text);
  };
  return (
    <div className="notes-editor-wrap">
      <textarea
        className="input notes"
        data-testid="notes-editor"
        aria-label="Notes"
        placeholder="Add notes about this run: what you tried, what you saw…"
        value={text}
        rows={Math.min(12, Math.max(3, text.split("\n").length + 1))}
        onChange={(e) => setText(e.target.value)}
        onBlur={save}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save();
          if (e.key === "Escape") setText(notes);
        }}
      />
      <div className="notes-foot">
        <span className="muted small">
          {saver.status === "saving" ? "Saving…" : saver.status === "saved" ? "Saved" : dirty ? "Unsaved: click away or press Ctrl+Enter to save, Esc to undo" : ""}
        </span>
      </div>
      {saver.error ? <ErrorMessage error={saver.error} compact /> : null}
    </div>
  );
}
