/**
 * Calls to the accounts API (issue 17): sign-in, the signed-in user, their API keys and
 * password, server administration (users, teams, audit log) and a resource's members and access.
 *
 * The shapes are the server's view models (views/accounts.py, views/account_api.py) as
 * `make web-types` generates them into schema.gen.ts, named here for the dashboard.
 */
import { get, post, request } from "./client";
import type { components } from "./schema.gen";

export type Role = "viewer" | "editor" | "admin";
export type Visibility = "private" | "internal";
export type ResourceKind = "project" | "model";

export const ROLES: readonly Role[] = ["viewer", "editor", "admin"];

type Schemas = components["schemas"];

/** A user as the server lists it. Times are epoch seconds. */
export type User = Schemas["User"];
/** `GET /api/v1/auth/me`: whether accounts are on, who is signed in, and how SSO is offered. */
export type Me = Schemas["Me"];
export type ApiKey = Schemas["ApiKey"];
export type Team = Schemas["Team"];
/** A role granted on a project or model to "user:NAME" or "team:NAME". */
export type Grant = Schemas["Grant"];
/** A resource's visibility and its members. */
export type Members = Schemas["GrantList"];
/** `GET .../access`: what the caller may do on one project or model (all true when accounts are off). */
export type Access = Schemas["ResourceAccess"];
export type AuditEvent = Schemas["AuditEvent"];
export type AuditPage = Schemas["AuditPage"];

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: string;
  resource?: string;
  since?: number | null;
  until?: number | null;
  page_token?: string | null;
  limit?: number;
}

const enc = encodeURIComponent;

// --- session ---------------------------------------------------------------------------------

export const getMe = (signal?: AbortSignal) => get<Me>("/api/v1/auth/me", undefined, signal);
export const signIn = (name: string, password: string) => post<Me>("/api/v1/auth/sign-in", { name, password });
export const signOut = () => post<unknown>("/api/v1/auth/sign-out", {});
export const SSO_START = "/api/v1/auth/oidc/start";

// --- self-service ----------------------------------------------------------------------------

/** The answer of `POST /api/v1/me/keys` (also `POST /api/v1/users/{user}/keys`): the key's record and, once, the key itself. */
export type NewKeyAnswer = Schemas["NewApiKey"];

/** The answer of `POST /api/v1/users`: the user and, once, a generated password (none for service accounts). */
export type NewUserAnswer = Schemas["NewUser"];

export interface NewKey {
  name: string;
  read_only: boolean;
  expires_at: number | null;
}

export const listMyKeys = (signal?: AbortSignal) => get<{ keys: ApiKey[] }>("/api/v1/me/keys", undefined, signal);
export const createMyKey = (key: NewKey) => post<NewKeyAnswer>("/api/v1/me/keys", key);
export const revokeMyKey = (id: number) => request<unknown>("DELETE", `/api/v1/me/keys/${enc(String(id))}`);
export const changePassword = (current: string, next: string) =>
  request<unknown>("PUT", "/api/v1/me/password", { body: { current, new: next } });

// --- server administration -------------------------------------------------------------------

export interface NewUser {
  name: string;
  admin: boolean;
  service: boolean;
  password?: string | null;
  email?: string | null;
  display_name?: string | null;
}

export const listUsers = (signal?: AbortSignal) => get<{ users: User[] }>("/api/v1/users", undefined, signal);
export const createUser = (user: NewUser) => post<NewUserAnswer>("/api/v1/users", user);
export const updateUser = (name: string, patch: { admin?: boolean; disabled?: boolean }) =>
  request<User>("PATCH", `/api/v1/users/${enc(name)}`, { body: patch });
export const createServiceKey = (user: string, key: NewKey) => post<NewKeyAnswer>(`/api/v1/users/${enc(user)}/keys`, key);

export const listTeams = (signal?: AbortSignal) => get<{ teams: Team[] }>("/api/v1/teams", undefined, signal);
export const createTeam = (name: string, description: string) => post<Team>("/api/v1/teams", { name, description });
export const deleteTeam = (name: string) => request<unknown>("DELETE", `/api/v1/teams/${enc(name)}`);
export const addTeamMember = (team: string, user: string) => request<unknown>("PUT", `/api/v1/teams/${enc(team)}/members/${enc(user)}`);
export const removeTeamMember = (team: string, user: string) => request<unknown>("DELETE", `/api/v1/teams/${enc(team)}/members/${enc(user)}`);

export function listAudit(filter: AuditFilter, signal?: AbortSignal): Promise<AuditPage> {
  return get<AuditPage>(
    "/api/v1/audit",
    {
      actor: filter.actor,
      action: filter.action,
      outcome: filter.outcome,
      resource: filter.resource,
      since: filter.since ?? undefined,
      until: filter.until ?? undefined,
      page_token: filter.page_token ?? undefined,
      limit: filter.limit,
    },
    signal,
  );
}

// --- a project's or model's members and access -----------------------------------------------

/** The API base of a resource: `/api/v1/projects/{project}` or `/api/v1/models/{name}`. */
export const resourceBase = (kind: ResourceKind, name: string) =>
  kind === "project" ? `/api/v1/projects/${enc(name)}` : `/api/v1/models/${enc(name)}`;

export const getAccess = (kind: ResourceKind, name: string, signal?: AbortSignal) => get<Access>(`${resourceBase(kind, name)}/access`, undefined, signal);
export const listMembers = (kind: ResourceKind, name: string, signal?: AbortSignal) =>
  get<Members>(`${resourceBase(kind, name)}/members`, undefined, signal);
export const setMember = (kind: ResourceKind, name: string, principal: string, role: Role) =>
  request<unknown>("PUT", `${resourceBase(kind, name)}/members/${enc(principal)}`, { body: { role } });
export const removeMember = (kind: ResourceKind, name: string, principal: string) =>
  request<unknown>("DELETE", `${resourceBase(kind, name)}/members/${enc(principal)}`);
export const setVisibility = (kind: ResourceKind, name: string, visibility: Visibility) =>
  request<unknown>("PUT", `${resourceBase(kind, name)}/visibility`, { body: { visibility } });
