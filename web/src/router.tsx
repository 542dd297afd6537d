/**
 * A tiny router on the History API: real paths (/projects/mnist), links that don't reload,
 * and the query string as the home of each page's view state.
 */
import { useCallback, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

const EVENT = "trailmark:navigate";

function subscribe(cb: () => void): () => void {
  window.addEventListener("popstate", cb);
  window.addEventListener(EVENT, cb);
  return () => {
    window.removeEventListener("popstate", cb);
    window.removeEventListener(EVENT, cb);
  };
}

const getPath = () => window.location.pathname;
const getSearch = () => window.location.search;

export function usePathname(): string {
  return useSyncExternalStore(subscribe, getPath);
}

export function useSearch(): string {
  return useSyncExternalStore(subscribe, getSearch);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search;
  if (to === current) return;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(EVENT));
  if (!opts.replace) window.scrollTo(0, 0);
}

/** Update the query string of the current page (replacing the history entry by default). */
export function useSetSearch(): (search: string, opts?: { push?: boolean }) => void {
  return useCallback((search: string, opts?: { push?: boolean }) => {
    const qs = search.replace(/^\?/, "");
    navigate(window.location.pathname + (qs ? `?${qs}` : ""), { replace: !opts?.push });
  }, []);
}

export type Params = Record<string, string>;

/** Match "/projects/:project/runs/:runId" against a path; null if it doesn't match. */
export function matchPath(pattern: string, path: string): Params | null {
  const pp = pattern.split("/").filter(Boolean);
  const sp = path.split("/").filter(Boolean);
  if (pp.length !== sp.length) return null;
  const params: Params = {};
  for (let i = 0; i < pp.length; i++) {
    const p = pp[i] as string;
    const s = sp[i] as string;
    if (p.startsWith(":")) {
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return null;
      }
    } else if (p !== s) return null;
  }
  return params;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    if (rest.target && rest.target !== "_self") return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}

export const projectPath = (project: string) => `/projects/${encodeURIComponent(project)}`;
export const runPagePath = (project: string, run: string) => `${projectPath(project)}/runs/${encodeURIComponent(run)}`;
export const comparePath = (project: string, runs: readonly string[]) =>
  `${projectPath(project)}/compare?runs=${runs.map(encodeURIComponent).join(",")}`;
