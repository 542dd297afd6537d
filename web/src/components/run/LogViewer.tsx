/**
 * The Logs tab: the run's console output as a virtualized list (100k lines scroll smoothly),
 * starting at the end; older pages load when scrolling up. Server-side search with the matches
 * highlighted, stream and rank filters, relative or clock times, and, while the run is live,
 * new lines every few seconds: the view follows them while it is scrolled to the bottom and
 * stops when the user scrolls up ("Jump to latest" resumes). Text is rendered as text.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { isAbort, isMissingEndpoint } from "../../api/client";
import type { Run } from "../../api/types";
import { MAX_LOG_PAGE, fetchLogs, logsTextUrl, type LogLine, type LogStream } from "../../api/runCapture";
import { useDebounced, useInterval } from "../../hooks/useDom";
import { POLL_MS } from "../../hooks/useSeriesData";
import { formatCount } from "../../lib/format";
import {
  cleanText, formatLogTime, formatLogTimestamp, highlightParts, knownRanks, mergeLines, searchPattern,
  type LogViewState,
} from "../../lib/logView";
import { metadataRanks } from "../../lib/runMetadata";
import { EmptyState, ErrorMessage, Loading } from "../common";
import "../../styles/capture.css";

interface Props {
  project: string;
  run: Run;
  live: boolean;
  view: LogViewState;
  onViewChange: (patch: Partial<LogViewState>) => void;
}

const ROW = 20;
const PAGE = 2000;
/** Lines kept while following a chatty run; the oldest are dropped (and can be paged back). */
const MAX_KEPT = 200_000;
/** Load the previous page when the view comes this close to the top. */
const NEAR_TOP = 40 * ROW;

interface Loaded {
  lines: LogLine[];
  hasOlder: boolean;
}

export function LogViewer({ project, run, live, view, onViewChange }: Props) {
  const [searchText, setSearchText] = useState(view.search);
  // The box follows the URL only when the URL changed from elsewhere (back, a link, "Clear"),
  // not when it catches up with what is being typed.
  const sent = useRef(view.search);
  useEffect(() => {
    if (view.search !== sent.current) {
      sent.current = view.search;
      setSearchText(view.search);
    }
  }, [view.search]);
  const setSearch = useCallback(
    (text: string) => {
      sent.current = text;
      onViewChange({ search: text });
    },
    [onViewChange],
  );
  const debounced = useDebounced(searchText, 300);
  useEffect(() => {
    if (debounced !== sent.current) setSearch(debounced);
    // only the typed text drives this
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced]);

  const { search, stream, rank } = view;
  const filterKey = JSON.stringify([project, run.id, search, stream, rank]);
  const pageSize = search ? MAX_LOG_PAGE : PAGE;

  const [loaded, setLoaded] = useState<Loaded>({ lines: [], hasOlder: false });
  const [initial, setInitial] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [reloadTick, setReloadTick] = useState(0);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [following, setFollowing] = useState(true);
  const [unseen, setUnseen] = useState(0);

  const scrollRef = useRef<HTMLDivElement>(null);
  const followRef = useRef(true);
  const prepended = useRef(0);
  const dropped = useRef(0);
  const generation = useRef(0);
  const ctrl = useRef(new AbortController());
  const busy = useRef(false);
  const reloading = useRef(true);
  const loadedOnce = useRef(false);
  const loadedRef = useRef(loaded);
  loadedRef.current = loaded;

  const query = useMemo(() => ({ search, stream, rank }), [search, stream, rank]);

  // A new filter: start again from the last page (the old lines stay until it comes).
  useEffect(() => {
    ctrl.current.abort();
    const c = new AbortController();
    ctrl.current = c;
    const gen = ++generation.current;
    busy.current = false;
    reloading.current = true;
    prepended.current = 0;
    dropped.current = 0;
    setInitial(true);
    setError(null);
    followRef.current = true;
    setFollowing(true);
    setUnseen(0);
    fetchLogs(project, run.id, { ...query, tail: true, limit: pageSize }, c.signal)
      .then((page) => {
        if (gen !== generation.current) return;
        reloading.current = false;
        loadedOnce.current = true;
        setLoaded({ lines: page.lines, hasOlder: page.lines.length >= pageSize });
        setInitial(false);
      })
      .catch((e: unknown) => {
        if (gen !== generation.current || isAbort(e)) return;
        reloading.current = false;
        setLoaded({ lines: [], hasOlder: false });
        setError(e);
        setInitial(false);
      });
    return () => c.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filterKey, reloadTick]);

  const loadOlder = useCallback(() => {
    const { lines, hasOlder } = loadedRef.current;
    const first = lines[0];
    if (!hasOlder || !first || busy.current || reloading.current) return;
    busy.current = true;
    setLoadingOlder(true);
    const gen = generation.current;
    fetchLogs(project, run.id, { ...query, before: first.n, tail: true, limit: pageSize }, ctrl.current.signal)
      .then((page) => {
        if (gen !== generation.current) return;
        prepended.current += page.lines.length;
        setLoaded((old) => ({ lines: mergeLines(old.lines, page.lines), hasOlder: page.lines.length >= pageSize }));
      })
      .catch((e: unknown) => {
        if (gen === generation.current && !isAbort(e)) setError(e);
      })
      .finally(() => {
        if (gen !== generation.current) return;
        busy.current = false;
        setLoadingOlder(false);
      });
  }, [project, run.id, query, pageSize]);

  const poll = useCallback(async () => {
    if (busy.current || initial || error) return;
    busy.current = true;
    const gen = generation.current;
    try {
      for (let round = 0; round < 20; round++) {
        const last = loadedRef.current.lines[loadedRef.current.lines.length - 1];
        const page = await fetchLogs(project, run.id, { ...query, after: last?.n ?? 0, limit: MAX_LOG_PAGE }, ctrl.current.signal);
        if (gen !== generation.current) return;
        if (page.lines.length) {
          setLoaded((old) => {
            let lines = mergeLines(old.lines, page.lines);
            let hasOlder = old.hasOlder;
            if (followRef.current && lines.length > MAX_KEPT) {
              dropped.current += lines.length - MAX_KEPT;
              lines = lines.slice(lines.length - MAX_KEPT);
              hasOlder = true;
            }
            return { lines, hasOlder };
          });
          if (!followRef.current) setUnseen((u) => u + page.lines.length);
        }
        if (page.next === null) break;
      }
    } catch (e) {
      if (gen === generation.current && !isAbort(e)) setError(e);
    } finally {
      if (gen === generation.current) busy.current = false;
    }
  }, [project, run.id, query, initial, error]);

  useInterval(() => void poll(), POLL_MS, live && !initial && !error);
  // A run that stops being live gets one last look, so its final lines show.
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) void poll();
    wasLive.current = live;
  }, [live, poll]);

  const { lines, hasOlder } = loaded;
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW,
    overscan: 30,
  });

  // Keep the reader's place when a page is added above; stay at the bottom while following.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    if (prepended.current || dropped.current) {
      el.scrollTop += (prepended.current - dropped.current) * ROW;
      prepended.current = 0;
      dropped.current = 0;
    }
    if (followRef.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight <= ROW;
    if (atBottom !== followRef.current) {
      followRef.current = atBottom;
      setFollowing(atBottom);
    }
    if (atBottom) setUnseen(0);
    if (el.scrollTop < NEAR_TOP) loadOlder();
  }, [loadOlder]);

  const jumpToLatest = useCallback(() => {
    followRef.current = true;
    setFollowing(true);
    setUnseen(0);
    const el = scrollRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, []);

  const ranks = useMemo(() => knownRanks(metadataRanks(run.metadata), lines), [run.metadata, lines]);
  const multiRank = ranks.length > 1 || rank !== null;
  const pattern = useMemo(() => searchPattern(search), [search]);
  const filtered = !!(search || stream || rank !== null);
  const lastN = lines.length ? (lines[lines.length - 1] as LogLine).n : 0;
  const numberWidth = `${Math.max(3, String(lastN).length) + 1}ch`;

  if (error && isMissingEndpoint(error)) {
    return (
      <EmptyState title="This server does not keep console output">
        <p>Upgrade the Trailmark server to see the runs' stdout and stderr here.</p>
      </EmptyState>
    );
  }
  if (initial && !loadedOnce.current && !error) return <Loading label="Loading console output…" />;
  if (!initial && !error && lines.length === 0 && !filtered && run.state !== "running") {
    return (
      <EmptyState title="No console output captured">
        <p>
          This run printed nothing that reached Trailmark. Console capture is on by default; it was off if the run was started
          with <code>TRAILMARK_CONSOLE=off</code> or <code>init(console="off")</code>, or by an SDK that did not capture it.
        </p>
      </EmptyState>
    );
  }

  // Lines are numbered 1, 2, … so without a filter the last number is the count.
  const total = filtered ? lines.length : lastN;
  const more = filtered && hasOlder ? "+" : "";
  const countText = `${formatCount(total)}${more} ${search ? "matching " : ""}line${total === 1 && !more ? "" : "s"}`;

  return (
    <div className="log-viewer card" data-testid="log-viewer">
      <div className="log-toolbar">
        <input
          type="search"
          className="input log-search"
          placeholder="Search the output"
          aria-label="Search the console output (case-insensitive)"
          data-testid="log-search"
          data-slash-focus=""
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") setSearch(searchText);
            if (e.key === "Escape") {
              setSearchText("");
              setSearch("");
            }
          }}
        />
        <span className="muted small log-count" data-testid="log-count" aria-live="polite">
          {initial ? "Loading…" : countText}
        </span>
        <label className="control">
          <span>Stream</span>
          <select
            className="input select"
            data-testid="log-stream-filter"
            value={stream ?? ""}
            onChange={(e) => onViewChange({ stream: (e.target.value || null) as LogStream | null })}
          >
            <option value="">All</option>
            <option value="stdout">stdout</option>
            <option value="stderr">stderr</option>
          </select>
        </label>
        {multiRank && (
          <label className="control">
            <span>Rank</span>
            <select
              className="input select"
              data-testid="log-rank-filter"
              value={rank === null ? "" : String(rank)}
              onChange={(e) => onViewChange({ rank: e.target.value === "" ? null : Number(e.target.value) })}
            >
              <option value="">All</option>
              {(rank !== null && !ranks.includes(rank) ? [...ranks, rank] : ranks).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        )}
        <button
          type="button"
          className="btn small"
          data-testid="log-time-toggle"
          data-mode={view.time}
          title="Show times since the run started, or the clock time"
          onClick={() => onViewChange({ time: view.time === "clock" ? "relative" : "clock" })}
        >
          {view.time === "clock" ? "Clock time" : "Since start"}
        </button>
        <span className="grow" />
        {live && (
          <span className={following ? "log-follow on" : "log-follow"} data-testid="log-follow" data-following={following ? "true" : "false"}>
            {following ? "Following new lines" : "Paused"}
          </span>
        )}
        <a
          className="btn small"
          data-testid="log-download"
          href={logsTextUrl(project, run.id)}
          download={`${(run.name || run.id).replace(/[^\w.-]+/g, "_")}-console.txt`}
          title="The whole console output as a text file"
        >
          Download
        </a>
      </div>
      {error ? <ErrorMessage error={error} onRetry={() => setReloadTick((t) => t + 1)} compact /> : null}
      <div className="log-frame">
        <div
          className="log-scroll"
          ref={scrollRef}
          onScroll={onScroll}
          data-testid="log-lines"
          data-count={lines.length}
          data-first={lines[0]?.n ?? ""}
          data-last={lastN || ""}
          style={{ ["--log-n-width" as string]: numberWidth }}
          tabIndex={0}
          role="log"
          aria-label="Console output"
        >
          <div className="log-body" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((vi) => {
              const line = lines[vi.index] as LogLine;
              const err = line.stream === "stderr";
              return (
                <div
                  key={line.n}
                  className={err ? "log-line stderr" : "log-line"}
                  data-testid="log-line"
                  data-n={line.n}
                  data-stream={line.stream}
                  style={{ transform: `translateY(${vi.start}px)`, height: ROW }}
                >
                  <span className="log-n">{line.n}</span>
                  <span className="log-time" title={formatLogTimestamp(line.time)}>
                    {formatLogTime(line.time, run.created, view.time)}
                  </span>
                  {multiRank && <span className="log-rank" title={`rank ${line.rank ?? 0}`}>{line.rank ?? 0}</span>}
                  <span className="log-mark">
                    {err && (
                      <span className="log-err" data-testid="log-stderr" title="Written to stderr">
                        err
                      </span>
                    )}
                  </span>
                  <span className="log-text">
                    {highlightParts(cleanText(line.text), pattern).map((p, i) =>
                      p.match ? (
                        <mark key={i} data-testid="log-match">
                          {p.text}
                        </mark>
                      ) : (
                        p.text
                      ),
                    )}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
        {loadingOlder && <div className="log-older small">Loading earlier lines…</div>}
        {lines.length === 0 && !initial ? (
          <div className="log-none muted" data-testid="log-none">
            {filtered ? (
              <>
                No line matches.{" "}
                <button type="button" className="link-btn" onClick={() => onViewChange({ search: "", stream: null, rank: null })}>
                  Clear the filters
                </button>
              </>
            ) : (
              "Waiting for the run to print something…"
            )}
          </div>
        ) : null}
        {!following && lines.length > 0 && (
          <button type="button" className="btn primary log-jump" data-testid="log-jump" onClick={jumpToLatest}>
            Jump to latest{unseen > 0 ? ` (${formatCount(unseen)} new)` : ""}
          </button>
        )}
      </div>
    </div>
  );
}
