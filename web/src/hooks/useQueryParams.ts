import { useCallback, useMemo } from "react";
import { navigate, useSearch } from "../router";
import { useDraft } from "./useDraft";

export type QueryChanges = Record<string, string | number | null | undefined>;

/**
 * The page's query string, and a setter that changes some parameters (null or "" removes one),
 * keeping the others (theme, ...). Replaces the history entry unless `push` is set.
 */
export function useQueryParams(): [URLSearchParams, (changes: QueryChanges, opts?: { push?: boolean }) => void] {
  const search = useSearch();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const set = useCallback((changes: QueryChanges, opts?: { push?: boolean }) => {
    const next = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null || v === undefined || v === "") next.delete(k);
      else next.set(k, String(v));
    }
    const qs = next.toString();
    navigate(window.location.pathname + (qs ? `?${qs}` : ""), { replace: !opts?.push });
  }, []);
  return [params, set];
}

/**
 * A search box's text kept in the query parameter `name`: what is typed shows at once and goes
 * to the URL; a change of the URL (back, a link) replaces it.
 */
export function useQueryText(name: string): [string, (text: string) => void] {
  const [params, setParams] = useQueryParams();
  const [text, setText] = useDraft(params.get(name) ?? "");
  const change = (v: string) => {
    setText(v);
    setParams({ [name]: v });
  };
  return [text, change];
}
