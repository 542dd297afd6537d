/** A run's tags and notes for someone who may not change them: shown, not editable, with the reason once. */
import { NotAllowed } from "./Reason";

export function ReadOnlyTags({ tags }: { tags: string[] }) {
  return (
    <div className="tags" data-testid="tags-read-only">
      {tags.length === 0 ? <span className="muted small">No tags.</span> : tags.map((t) => <span key={t} className="tag">{t}</span>)}
    </div>
  );
}

export function ReadOnlyNotes({ notes, reason }: { notes: string; reason: string }) {
  return (
    <div className="notes-editor-wrap">
      <textarea
        className="input notes"
        data-testid="notes-read-only"
        aria-label="Notes"
        value={notes}
        placeholder="No notes."
        readOnly
        disabled
        title={reason}
        rows={Math.min(12, Math.max(3, notes.split("\n").length + 1))}
      />
      <NotAllowed reason={reason} testId="edit-not-allowed" />
    </div>
  );
}
