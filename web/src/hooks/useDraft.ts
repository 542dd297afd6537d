import { useEffect, useState } from "react";

/** Text being edited that starts as `value` and goes back to it whenever `value` changes (from the URL, a click elsewhere). */
export function useDraft(value: string): [string, (text: string) => void] {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return [draft, setDraft];
}
