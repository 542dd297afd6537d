/**
 * The filter box: the API's filter language with key autocomplete. Applied on Enter or after a
 * pause in typing; the server's error (with its position) is shown right under the box.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { applySuggestion, complete, type Completion, type KeyCatalog } from "../../lib/filterLang";

interface Props {
  value: string;
  onApply: (filter: string) => void;
  error: string | null;
  catalog: KeyCatalog;
}

const EXAMPLES = ['state = "running"', "config.lr < 1e-3", 'tags contains "baseline"', "summary.val/acc > 0.9"];

export function FilterInput({ value, onApply, error, catalog }: Props) {
  const [text, setText] = useState(value);
  const [cursor, setCursor] = useState(value.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => setText(value), [value]);

  // Apply after a pause in typing.
  useEffect(() => {
    if (text === value) return;
    const t = window.setTimeout(() => onApply(text.trim()), 700);
    return () => window.clearTimeout(t);
  }, [text, value, onApply]);

  const completion: Completion = useMemo(() => complete(text, cursor, catalog, 10), [text, cursor, catalog]);
  const suggestions = open ? completion.suggestions : [];

  const accept = (i: number) => {
    const s = completion.suggestions[i];
    if (!s) return;
    const r = applySuggestion(text, completion, s);
    setText(r.text);
    setCursor(r.cursor);
    setActive(-1);
    requestAnimationFrame(() => {
      input.current?.setSelectionRange(r.cursor, r.cursor);
      input.current?.focus();
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown" && suggestions.length) {
      e.preventDefault();
      setActive((a) => (a + 1) % suggestions.length);
    } else if (e.key === "ArrowUp" && suggestions.length) {
      e.preventDefault();
      setActive((a) => (a <= 0 ? suggestions.length - 1 : a - 1));
    } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0 && suggestions[active]) {
      e.preventDefault();
      accept(active);
    } else if (e.key === "Enter") {
      setOpen(false);
      onApply(text.trim());
    } else if (e.key === "Escape") {
      if (open) setOpen(false);
      else input.current?.blur();
    }
  };

  const position = error ? /at position (\d+)/.exec(error) : null;
  const pos = position ? Number(position[1]) : null;

  return (
    <div className="filter-box">
      <div className="filter-input-wrap">
        <svg className="filter-icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
          <path d="M3 5h18l-7 8v6l-4 2v-8z" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
        </svg>
        <input
          ref={input}
          className={error ? "input mono invalid" : "input mono"}
          data-testid="filter-input"
          data-slash-focus
          spellCheck={false}
          autoComplete="off"
          placeholder={`Filter runs, e.g. ${EXAMPLES[1]}  ( / )`}
          aria-label="Filter runs (filter language)"
          aria-invalid={!!error}
          aria-autocomplete="list"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setCursor(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(-1);
          }}
          onSelect={(e) => setCursor(e.currentTarget.selectionStart ?? 0)}
          onFocus={() => setOpen(true)}
          onBlur={() => window.setTimeout(() => setOpen(false), 150)}
          onKeyDown={onKeyDown}
        />
        {text && (
          <button
            type="button"
            className="clear-btn"
            aria-label="Clear the filter"
            onClick={() => {
              setText("");
              onApply("");
            }}
          >
            ×
          </button>
        )}
      </div>
      {suggestions.length > 0 && (
        <ul className="suggestions" role="listbox">
          {suggestions.map((s, i) => (
            <li
              key={`${s.kind}:${s.label}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : ""}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(i);
              }}
            >
              <span className={`kind kind-${s.kind}`}>{s.kind}</span>
              <span className="mono">{s.label}</span>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="field-error" data-testid="filter-error" role="alert">
          <div>{error}</div>
          {pos !== null && pos <= value.length && (
            <pre className="error-pointer mono">
              {value}
              {"\n"}
              {" ".repeat(pos)}^
            </pre>
          )}
          <div className="hint">Fix the filter; see the filter language in docs/filters.md (e.g. {EXAMPLES[0]}).</div>
        </div>
      )}
    </div>
  );
}
