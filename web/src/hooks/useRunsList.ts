/**
 * The runs of a project for a filter and order, loaded lazily in pages as the table scrolls
 * (or all of them, in the background, when grouping needs them).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { isAbort } from "../api/client";
import { searchRuns } from "../api/endpoints";
import type { Run } from "../api/types";

export const PAGE_SIZE = 500;

export interface RunsList {
  total: number | null;
  get: (index: number) => Run | undefined;
  /** Loaded runs in table order, up to the first gap. */
  loaded: Run[];
  ensure: (start: number, end: number) => void;
  refresh: () => Promise<void>;
  loading: boolean;
  error: unknown;
  retry: () => void;
  version: number;
}

export function useRunsList(project: string, filter: string, order: string, loadAll: boolean): RunsList {
  const pages = useRef(new Map<number, Run[]>());
  const inflight = useRef(new Set<number>());
  const gen = useRef(0);
  const ctrl = useRef(new AbortController());
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(true);
  const [retryTick, setRetryTick] = useState(0);

  const loadPage = useCallback(
    async (page: number) => {
      if (pages.current.has(page) || inflight.current.has(page)) return;
      const g = gen.current;
      inflight.current.add(page);
      try {
        const res = await searchRuns(project, { filter, order, limit: PAGE_SIZE, offset: page * PAGE_SIZE }, ctrl.current.signal);
        if (g !== gen.current) return;
        pages.current.set(page, res.runs);
        setTotal(res.total);
        setError(null);
        setVersion((v) => v + 1);
      } catch (e) {
        if (g !== gen.current || isAbort(e)) return;
        setError(e);
      } finally {
        if (g === gen.current) {
          inflight.current.delete(page);
          if (page === 0) setLoading(false);
        }
      }
    },
    [project, filter, order],
  );

  useEffect(() => {
    gen.current++;
    ctrl.current.abort();
    ctrl.current = new AbortController();
    pages.current.clear();
    inflight.current.clear();
    setLoading(true);
    setVersion((v) => v + 1);
    void loadPage(0);
  }, [loadPage, retryTick]);

  // Grouping needs every run: load the remaining pages one after another.
  useEffect(() => {
    if (!loadAll || total === null) return;
    const count = Math.ceil(total / PAGE_SIZE);
    for (let p = 0; p < count; p++) {
      if (!pages.current.has(p)) {
        void loadPage(p);
        return;
      }
    }
  }, [loadAll, total, version, loadPage]);

  const ensure = useCallback(
    (start: number, end: number) => {
      const first = Math.floor(Math.max(0, start) / PAGE_SIZE);
      const last = Math.floor(Math.max(0, end) / PAGE_SIZE);
      for (let p = first; p <= last; p++) void loadPage(p);
    },
    [loadPage],
  );

  const get = useCallback((i: number) => pages.current.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE], []);

  const refresh = useCallback(async () => {
    const g = gen.current;
    const loadedPages = [...pages.current.keys()].sort((a, b) => a - b).slice(0, 4);
    if (loadedPages.length === 0) return;
    try {
      const results = await Promise.all(
        loadedPages.map((p) => searchRuns(project, { filter, order, limit: PAGE_SIZE, offset: p * PAGE_SIZE }, ctrl.current.signal)),
      );
      if (g !== gen.current) return;
      results.forEach((r, i) => pages.current.set(loadedPages[i] as number, r.runs));
      const last = results[results.length - 1];
      if (last) setTotal(last.total);
      setVersion((v) => v + 1);
    } catch (e) {
      if (!isAbort(e) && g === gen.current) setError(e);
    }
  }, [project, filter, order]);

  const loaded = useMemo(() => {
    const out: Run[] = [];
    for (let p = 0; pages.current.has(p); p++) out.push(...(pages.current.get(p) as Run[]));
    return out;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- version counts the changes to pages.current: it is the key
  }, [version]);

  return { total, get, loaded, ensure, refresh, loading, error, retry: () => setRetryTick((t) => t + 1), version };
}
