import { useEffect, useRef, useState } from "react";
import { isAbort } from "../api/client";
import { fetchMetricKeys } from "../api/endpoints";
import { useInterval } from "./useDom";
import { POLL_MS } from "./useSeriesData";

/** Union of the metric keys of some runs; refreshed now and then while they are live: every
 * few seconds until the first keys show up (a page opened as the script starts shows its
 * charts as soon as the first points are stored), then every 10 s. */
export function useMetricKeys(project: string, runIds: readonly string[], live: boolean) {
  const [keys, setKeys] = useState<string[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const key = runIds.join(",");
  const ids = useRef(runIds);
  ids.current = runIds;

  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    fetchMetricKeys(project, [...ids.current], ctrl.signal)
      .then((k) => {
        const next = k.map((x) => x.key).sort();
        setKeys((prev) => (prev.join("\u0001") === next.join("\u0001") ? prev : next));
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (isAbort(e)) return;
        setError(e);
        setLoading(false);
      });
    return () => ctrl.abort();
  }, [project, key, tick]);

  useInterval(() => setTick((t) => t + 1), keys.length === 0 ? POLL_MS : 10_000, live);
  return { keys, loading, error, retry: () => setTick((t) => t + 1) };
}
