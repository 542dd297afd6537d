/**
 * The dashboard's rules for accounts, kept pure so they are tested without a browser: where the
 * sign-in page sends a person back to, why an action is not offered, how principals read, when a new
 * key expires, and what a failed sign-in says.
 */
import { ApiError } from "../api/client";
import type { Access, Me, ResourceKind, Role } from "../api/accounts";

/** What a person may do when accounts are off (or the server predates them): everything, as before. */
export const ALLOW_ALL: Access = {
  accounts: false,
  role: "admin",
  visibility: "private",
  read_only: false,
  can: { read: true, write: true, admin: true },
};

export const SIGN_IN_PATH = "/sign-in";

/**
 * The place to return to after signing in, only if it is a path on this site: `next` comes from
 * the URL, and an absolute or protocol-relative URL there would make the sign-in page an open
 * redirect. Anything else (and the sign-in page itself) returns to the home page.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if ([...next].some((c) => c.charCodeAt(0) < 0x20)) return "/";
  if (next === SIGN_IN_PATH || next.startsWith(`${SIGN_IN_PATH}?`)) return "/";
  return next;
}

/** The sign-in page's URL that comes back to `from` (a path with its query). */
export function signInPath(from: string): string {
  const next = safeNext(from);
  return next === "/" ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}`;
}

/** Accounts are on and nobody is signed in: every page but the sign-in page sends them there. */
export function needsSignIn(me: Me | null | undefined): boolean {
  return !!me && me.accounts && !me.user;
}

const NOUN: Record<ResourceKind, string> = { project: "project", model: "model" };

/** Why the caller may not change `name` (null: they may). Shown beside the disabled action. */
export function writeReason(access: Access | null | undefined, kind: ResourceKind, name: string): string | null {
  if (!access || access.can.write) return null;
  if (access.read_only) return `Your sign-in is read-only: it may look at ${NOUN[kind]} ${name} but not change it.`;
  if (access.can.read && access.role === "viewer")
    return `You are a viewer of ${NOUN[kind]} ${name}: changing it needs the editor role. Ask an admin of the ${NOUN[kind]}.`;
  if (access.can.read && access.role && access.role !== "viewer")
    return `Your sign-in is read-only: it may look at ${NOUN[kind]} ${name} but not change it.`;
  return `You may read ${NOUN[kind]} ${name} (it is internal) but not change it: ask an admin of the ${NOUN[kind]} for the editor role.`;
}

/** Why the caller may not manage members of `name` (null: they may). */
export function adminReason(access: Access | null | undefined, kind: ResourceKind, name: string): string | null {
  if (!access || access.can.admin) return null;
  return `Only admins of ${NOUN[kind]} ${name} manage its members and visibility.`;
}

export type PrincipalKind = "user" | "team";

/** "user:alice" -> {kind: "user", name: "alice"}; null when it is not one. */
export function parsePrincipal(principal: string): { kind: PrincipalKind; name: string } | null {
  const i = principal.indexOf(":");
  if (i < 0) return null;
  const kind = principal.slice(0, i);
  const name = principal.slice(i + 1);
  if ((kind !== "user" && kind !== "team") || !name) return null;
  return { kind, name };
}

export const formatPrincipal = (kind: PrincipalKind, name: string) => `${kind}:${name.trim()}`;

const ROLE_RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

/** Members listed as a person reads them: admins first, then by kind (users, then teams), then name. */
export function sortGrants<G extends { principal: string; role: Role }>(grants: readonly G[]): G[] {
  return [...grants].sort(
    (a, b) => ROLE_RANK[b.role] - ROLE_RANK[a.role] || a.principal.localeCompare(b.principal, "en", { numeric: true }),
  );
}

/** The expiry of a new key, `days` from `now` (epoch seconds); null for a key that does not expire. */
export function expiryAfterDays(days: number | null, now: number): number | null {
  if (days === null || !Number.isFinite(days) || days <= 0) return null;
  return Math.round(now + days * 86400);
}

/** What a failed sign-in says to the person. */
export function signInErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return "Wrong name or password.";
    if (error.status === 429) {
      // The server says for whom and how long ("too many failed sign-ins for 'ann' in the last 15 minutes: …").
      const said = error.message && !/^The server answered/.test(error.message) ? error.message : "";
      if (/too many/i.test(said)) return said.charAt(0).toUpperCase() + said.slice(1);
      return `Too many failed sign-ins. ${said || "Wait a few minutes, then try again."}`;
    }
    if (error.status === 0) return error.message;
    return error.message || `The server answered ${error.status}.`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The name a user is shown by: the display name when set, else the account name. */
export function displayName(user: { name: string; display_name?: string | null }): string {
  return user.display_name?.trim() || user.name;
}

/** The time windows the audit log offers, as the `period` query parameter. */
export const AUDIT_PERIODS: readonly { value: string; label: string; seconds: number | null }[] = [
  { value: "", label: "any time", seconds: null },
  { value: "1h", label: "last hour", seconds: 3600 },
  { value: "24h", label: "last 24 hours", seconds: 86400 },
  { value: "7d", label: "last 7 days", seconds: 7 * 86400 },
  { value: "30d", label: "last 30 days", seconds: 30 * 86400 },
];

/** The `since` of an audit period counted back from `now` (epoch seconds); null for any time or an unknown period. */
export function auditSince(period: string, now: number): number | null {
  const seconds = AUDIT_PERIODS.find((p) => p.value === period)?.seconds ?? null;
  return seconds === null ? null : Math.floor(now - seconds);
}
