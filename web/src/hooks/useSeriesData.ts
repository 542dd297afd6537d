/**
 * Loads and keeps the series of (run, metric) pairs for the charts: one batch request for what
 * is missing when runs or panels appear, a fresh load when the zoom or resolution changes, and,
 * while runs are live, polling for the points after the last step seen.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { isAbort } from "../api/client";
import { fetchSeries } from "../api/endpoints";
import { downsampleMinMax, lastStep, mergePoints, parsePoints, type Points } from "../lib/series";
import { useInterval } from "./useDom";

const pairKey = (run: string, key: string) => `${run}\u0000${key}`;
export const POLL_MS = 2500;

export interface SeriesData {
  get: (key: string, run: string) => Points | undefined;
  isBucketed: (key: string) => boolean;
  version: number;
  loading: boolean;
  error: unknown;
  retry: () => void;
}

export function useSeriesData(
  project: string,
  runIds: readonly string[],
  keys: readonly string[],
  buckets: number,
  zoom: [number, number] | null,
  pollRunIds: readonly string[],
): SeriesData {
  const store = useRef(new Map<string, Points>());
  const bucketed = useRef(new Set<string>());
  const fetched = useRef(new Set<string>());
  const ctrl = useRef(new AbortController());
  const [version, setVersion] = useState(0);
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [retryTick, setRetryTick] = useState(0);
  const polling = useRef(false);

  const view = `${project}|${buckets}|${zoom ? zoom.join(":") : ""}`;
  const runsKey = runIds.join(",");
  const keysKey = keys.join("\u0001");

  const insert = useCallback((series: Awaited<ReturnType<typeof fetchSeries>>, merge: boolean) => {
    for (const s of series) {
      const k = pairKey(s.run, s.key);
      let p = parsePoints(s);
      if (merge) {
        const old = store.current.get(k);
        if (old) p = mergePoints(old, p);
        if (p.steps.length > 4 * buckets) {
          p = downsampleMinMax(p, buckets);
          bucketed.current.add(s.key);
        }
      }
      store.current.set(k, p);
      if (s.bucketed) bucketed.current.add(s.key);
    }
  }, [buckets]);

  // A new view (zoom or resolution): forget everything.
  useEffect(() => {
    ctrl.current.abort();
    ctrl.current = new AbortController();
    store.current.clear();
    bucketed.current.clear();
    fetched.current.clear();
    setVersion((v) => v + 1);
  }, [view]);

  // Fetch what is missing.
  useEffect(() => {
    const runs = runIds.filter((r) => keys.some((k) => !fetched.current.has(pairKey(r, k))));
    if (runs.length === 0) return;
    const want = keys.filter((k) => runs.some((r) => !fetched.current.has(pairKey(r, k))));
    for (const r of runs) for (const k of want) fetched.current.add(pairKey(r, k));
    const signal = ctrl.current.signal;
    setPending((p) => p + 1);
    fetchSeries(project, { runs, keys: want, buckets, minStep: zoom?.[0] ?? null, maxStep: zoom?.[1] ?? null }, signal)
      .then((series) => {
        if (signal.aborted) return;
        insert(series, false);
        setError(null);
        setVersion((v) => v + 1);
      })
      .catch((e: unknown) => {
        if (signal.aborted || isAbort(e)) return;
        for (const r of runs) for (const k of want) fetched.current.delete(pairKey(r, k));
        setError(e);
      })
      .finally(() => setPending((p) => p - 1));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view, runsKey, keysKey, retryTick]);

  const poll = useCallback(
    async (ids: readonly string[]) => {
      if (polling.current || ids.length === 0 || keys.length === 0) return;
      polling.current = true;
      const signal = ctrl.current.signal;
      try {
        const results = await Promise.all(
          ids.map((run) => {
            let from = Infinity;
            for (const k of keys) {
              const p = store.current.get(pairKey(run, k));
              const last = p ? lastStep(p) : null;
              if (last !== null) from = Math.min(from, last + 1);
            }
            const minStep = Number.isFinite(from) ? from : null;
            return fetchSeries(project, { runs: [run], keys: [...keys], buckets, minStep, maxStep: null }, signal);
          }),
        );
        if (signal.aborted) return;
        let changed = false;
        for (const r of results) {
          if (r.some((s) => s.steps.length > 0)) changed = true;
          insert(r, true);
        }
        if (changed) setVersion((v) => v + 1);
      } catch (e) {
        if (!isAbort(e)) setError(e);
      } finally {
        polling.current = false;
      }
    },
    [project, keys, buckets, insert],
  );

  const pollKey = pollRunIds.join(",");
  const pollRef = useRef(pollRunIds);
  pollRef.current = pollRunIds;
  useInterval(() => void poll(pollRef.current), POLL_MS, pollRunIds.length > 0 && zoom === null);

  // Runs that stop being live get one last look, so their final points show.
  const prevPoll = useRef<readonly string[]>([]);
  useEffect(() => {
    const gone = prevPoll.current.filter((id) => !pollRunIds.includes(id) && runIds.includes(id));
    prevPoll.current = pollRunIds;
    if (gone.length && zoom === null) void poll(gone);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pollKey]);

  const get = useCallback((key: string, run: string) => store.current.get(pairKey(run, key)), []);
  const isBucketed = useCallback((key: string) => bucketed.current.has(key), []);
  const retry = useCallback(() => setRetryTick((t) => t + 1), []);
  return { get, isBucketed, version, loading: pending > 0, error, retry };
}
