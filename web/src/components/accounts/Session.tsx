/**
 * Who is signed in, for the whole dashboard. `GET /api/v1/auth/me` is asked once; when accounts
 * are off (or the server predates them) nothing changes: no sign-in page, no user menu, every
 * action offered. When accounts are on, a person who is not signed in, or whose session ends
 * (any 401 from the API), is sent to the sign-in page, which brings them back where they were.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { getMe, type Me } from "../../api/accounts";
import { isAbort, setUnauthorizedHandler } from "../../api/client";
import { needsSignIn, SIGN_IN_PATH, signInPath } from "../../lib/access";
import { navigate, usePathname } from "../../router";

/** What a server without accounts answers, and what the dashboard assumes when it cannot ask. */
export const ACCOUNTS_OFF: Me = { accounts: false, user: null, sso: { enabled: false, only: false, label: "" } };

interface SessionState {
  /** undefined until the server has answered. */
  me: Me | undefined;
  /** Ask the server again (after signing in or out). */
  refresh: () => Promise<Me>;
  /** Set what the server answered (sign-in returns `Me`). */
  setMe: (me: Me) => void;
}

const SessionContext = createContext<SessionState>({
  me: ACCOUNTS_OFF,
  refresh: () => Promise.resolve(ACCOUNTS_OFF),
  setMe: () => {},
});

export const useSession = () => useContext(SessionContext);

/** The signed-in user, or null (accounts off, or not signed in). */
export const useCurrentUser = () => useSession().me?.user ?? null;

async function askServer(signal?: AbortSignal): Promise<Me> {
  try {
    return await getMe(signal);
  } catch (e) {
    if (isAbort(e)) throw e;
    // A server without accounts has no such route. Any other failure shows on the page itself,
    // and a page's 401 still leads to the sign-in page.
    return ACCOUNTS_OFF;
  }
}

const here = () => window.location.pathname + window.location.search;
const onSignInPage = () => window.location.pathname === SIGN_IN_PATH;

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | undefined>(undefined);

  useEffect(() => {
    const ctrl = new AbortController();
    askServer(ctrl.signal).then(setMe, () => {});
    return () => ctrl.abort();
  }, []);

  useEffect(() => {
    setUnauthorizedHandler((path) => {
      // The sign-in routes answer 401 for a wrong password: that is the form's to show.
      if (path.startsWith("/api/v1/auth/") || onSignInPage()) return;
      setMe((m) => (m && m.user ? { ...m, user: null } : m));
      navigate(signInPath(here()), { replace: true });
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  useEffect(() => {
    if (needsSignIn(me) && !onSignInPage()) navigate(signInPath(here()), { replace: true });
  }, [me]);

  const refresh = useCallback(async () => {
    const answer = await askServer();
    setMe(answer);
    return answer;
  }, []);

  const value = useMemo(() => ({ me, refresh, setMe }), [me, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/**
 * The page, once the server has said whether accounts are on: a page that loaded before would
 * ask for data it may not read. Only the sign-in page shows to someone not signed in.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const { me } = useSession();
  const path = usePathname();
  if (me === undefined) return null;
  if (needsSignIn(me) && path !== SIGN_IN_PATH) return null;
  return <>{children}</>;
}
