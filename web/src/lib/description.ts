/** Rules of the description editors of the model page: the server's length limit, the counter near it, when Save is allowed. */

/** The server's limit on a description (`MAX_NOTES_LENGTH` in src/trailmark/limits.py), in characters (code points, as Python counts them). */
export const MAX_DESCRIPTION_LENGTH = 100_000;

/** The counter appears once the last tenth of the limit is reached. */
const COUNTER_WITHIN = 0.1;

/** Length as the server counts it: code points, so an emoji (two UTF-16 units) is one character. */
export function descriptionLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** What is sent: whitespace alone clears the description; anything else is kept as typed. */
export function descriptionToSave(draft: string): string {
  return draft.trim() === "" ? "" : draft;
}

export interface DraftState {
  /** Characters left before the limit (negative when over). */
  remaining: number;
  over: boolean;
  changed: boolean;
  canSave: boolean;
  /** "1,200 characters left", "5 characters too many"; null while far from the limit. */
  counter: string | null;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** The state of a draft against the saved text `saved`. */
export function draftState(draft: string, saved: string, max = MAX_DESCRIPTION_LENGTH): DraftState {
  const value = descriptionToSave(draft);
  const remaining = max - descriptionLength(value);
  const over = remaining < 0;
  const changed = value !== saved;
  let counter: string | null = null;
  if (over) counter = `${fmt(-remaining)} ${remaining === -1 ? "character" : "characters"} too many (at most ${fmt(max)})`;
  else if (remaining <= Math.round(max * COUNTER_WITHIN)) counter = `${fmt(remaining)} ${remaining === 1 ? "character" : "characters"} left`;
  return { remaining, over, changed, canSave: changed && !over, counter };
}
