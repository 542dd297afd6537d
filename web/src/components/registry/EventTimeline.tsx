/** A model's history, newest first: who created versions, moved aliases and changed stages. */
import "../../styles/registry.css";
import type { ModelEvent } from "../../api/registry";
import { formatDate, formatRelative } from "../../lib/format";
import { describeEvent, eventTarget } from "../../lib/modelEvents";

export function EventTimeline({ events, total, onMore }: { events: ModelEvent[]; total: number; onMore?: () => void }) {
  if (events.length === 0) return <p className="muted">No changes recorded yet.</p>;
  return (
    <>
      <ol className="timeline" data-testid="model-events">
        {events.map((e) => (
          <li
            key={e.id}
            className={`timeline-item event-${e.kind}`}
            data-testid="model-event"
            data-kind={e.kind}
            data-version={e.version ?? undefined}
            data-to={eventTarget(e)}
          >
            <span className="timeline-dot" aria-hidden="true" />
            <div className="timeline-body">
              <span className="event-text">
                <strong className="event-user">{e.user}</strong> {describeEvent(e)}
              </span>
              <span className="muted small" title={formatDate(e.created, true)}>
                {formatRelative(e.created)}
              </span>
            </div>
          </li>
        ))}
      </ol>
      {events.length < total && onMore ? (
        <button type="button" className="btn small" onClick={onMore} data-testid="model-events-more">
          Show older changes ({total - events.length})
        </button>
      ) : null}
    </>
  );
}
