/** A description shown as text with an "Edit description" button that turns it into a textarea with Save / Cancel, in place. */
import { useEffect, useRef, useState, type ReactNode } from "react";
import "../../styles/registry.css";
import { descriptionToSave, draftState } from "../../lib/description";
import { ErrorMessage } from "../common";

export interface DescriptionEdit {
  /** Sends the new description; resolves with what the server kept. */
  onSave: (description: string) => Promise<{ description: string }>;
  /** Called after a save: refresh the page's data. */
  onSaved: () => void;
  /** Names the textarea for screen readers: "Description of model fraud-detector". */
  label: string;
}

export function EditableDescription({
  text,
  onSave,
  onSaved,
  label,
  testId,
  children,
}: DescriptionEdit & {
  text: string;
  testId: string;
  /** How the description is shown while not editing (it is text: render it as a React child). */
  children: (text: string) => ReactNode;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // What the last save returned, shown until the page's refreshed data arrives (no flash of the old text).
  const [savedText, setSavedText] = useState<string | null>(null);
  const [refocus, setRefocus] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  useEffect(() => setSavedText(null), [text]);
  useEffect(() => {
    if (!editing && refocus) {
      editButton.current?.focus();
      setRefocus(false);
    }
  }, [editing, refocus]);

  const current = savedText ?? text;
  const state = draftState(draft, current);
  const open = () => {
    setDraft(current);
    setError(null);
    setEditing(true);
  };
  const close = () => {
    setEditing(false);
    setError(null);
    setRefocus(true);
  };
  const save = async () => {
    if (!state.canSave || busy) return;
    setBusy(true);
    setError(null);
    try {
      const kept = await onSave(descriptionToSave(draft));
      setSavedText(kept.description);
      close();
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!editing)
    return (
      <div className="description-view" data-testid={testId} data-editing="false">
        {children(current)}
        <button type="button" className="btn small" data-testid="edit-description" ref={editButton} onClick={open}>
          Edit description
        </button>
      </div>
    );

  return (
    <form
      className="description-form"
      data-testid={testId}
      data-editing="true"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !busy) {
          e.preventDefault();
          e.stopPropagation();
          close();
        } else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void save();
        }
      }}
    >
      <textarea
        className={state.over ? "input description-input invalid" : "input description-input"}
        data-testid="description-input"
        aria-label={label}
        aria-invalid={state.over}
        placeholder="What is this, what is it for, how was it made? Leave empty to clear."
        value={draft}
        rows={Math.min(14, Math.max(3, draft.split("\n").length + 1))}
        readOnly={busy}
        autoFocus
        onChange={(e) => setDraft(e.target.value)}
      />
      <div className="toolbar-row">
        <button type="submit" className="btn small primary" data-testid="description-save" disabled={!state.canSave || busy}>
          {busy ? "Saving…" : "Save"}
        </button>
        <button type="button" className="btn small" data-testid="description-cancel" onClick={close} disabled={busy}>
          Cancel
        </button>
        {state.counter ? (
          <span className={state.over ? "field-error" : "muted small"} data-testid="description-counter" aria-live="polite">
            {state.counter}
          </span>
        ) : (
          <span className="muted small">Ctrl+Enter saves, Esc cancels</span>
        )}
      </div>
      {error ? <ErrorMessage error={error} compact /> : null}
    </form>
  );
}
