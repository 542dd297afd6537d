import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { Access, User } from "../api/accounts";
import {
  adminReason,
  auditSince,
  expiryAfterDays,
  needsSignIn,
  parsePrincipal,
  safeNext,
  signInErrorMessage,
  signInPath,
  sortGrants,
  writeReason,
} from "./access";

const access = (role: Access["role"], write: boolean, admin = false, read = true, read_only = false): Access => ({
  accounts: true,
  role,
  visibility: "private",
  read_only,
  can: { read, write, admin },
});
const user = (name: string): User => ({
  id: 1,
  name,
  display_name: null,
  email: null,
  admin: false,
  service: false,
  disabled: false,
  has_password: true,
  sso: false,
  teams: [],
  created: 0,
  updated: 0,
  last_sign_in: null,
});

describe("safeNext", () => {
  it("keeps a path on this site", () => {
    expect(safeNext("/projects/mnist?runs=a,b")).toBe("/projects/mnist?runs=a,b");
  });
  it("refuses anything that would leave the site", () => {
    for (const bad of ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "", null, undefined, "/a\nb"])
      expect(safeNext(bad)).toBe("/");
  });
  it("never returns to the sign-in page itself", () => {
    expect(safeNext("/sign-in")).toBe("/");
    expect(safeNext("/sign-in?next=/x")).toBe("/");
  });
});

describe("signInPath", () => {
  it("carries where the person was", () => {
    expect(signInPath("/projects/a b?x=1")).toBe("/sign-in?next=%2Fprojects%2Fa%20b%3Fx%3D1");
  });
  it("has no next for the home page", () => {
    expect(signInPath("/")).toBe("/sign-in");
  });
});

describe("needsSignIn", () => {
  const sso = { enabled: false, only: false, label: "" };
  it("only when accounts are on and nobody is signed in", () => {
    expect(needsSignIn({ accounts: false, user: null, sso })).toBe(false);
    expect(needsSignIn({ accounts: true, user: null, sso })).toBe(true);
    expect(needsSignIn({ accounts: true, user: user("a"), sso })).toBe(false);
    expect(needsSignIn(undefined)).toBe(false);
  });
});

describe("writeReason", () => {
  it("is null when the caller may write, or before access is known", () => {
    expect(writeReason(access("editor", true), "project", "p")).toBeNull();
    expect(writeReason(null, "project", "p")).toBeNull();
  });
  it("names the role that is missing for a viewer", () => {
    expect(writeReason(access("viewer", false), "project", "mnist")).toMatch(/viewer of project mnist.*editor role/);
  });
  it("says a read-only sign-in is read-only", () => {
    expect(writeReason(access("editor", false), "model", "clf")).toMatch(/read-only/);
    expect(writeReason(access("viewer", false, false, true, true), "model", "clf")).toMatch(/read-only/);
  });
  it("explains internal visibility when there is no role", () => {
    expect(writeReason(access(null, false), "project", "p")).toMatch(/internal/);
  });
});

describe("adminReason", () => {
  it("is null for an admin and says who may otherwise", () => {
    expect(adminReason(access("admin", true, true), "project", "p")).toBeNull();
    expect(adminReason(access("editor", true), "project", "p")).toMatch(/Only admins of project p/);
  });
});

describe("principals", () => {
  it("parses users and teams", () => {
    expect(parsePrincipal("user:alice")).toEqual({ kind: "user", name: "alice" });
    expect(parsePrincipal("team:ml:core")).toEqual({ kind: "team", name: "ml:core" });
    expect(parsePrincipal("group:x")).toBeNull();
    expect(parsePrincipal("alice")).toBeNull();
    expect(parsePrincipal("user:")).toBeNull();
  });
  it("sorts admins first, then by principal", () => {
    const sorted = sortGrants([
      { principal: "user:zoe", role: "viewer" as const },
      { principal: "team:ml", role: "admin" as const },
      { principal: "user:bob", role: "viewer" as const },
      { principal: "user:amy", role: "editor" as const },
    ]);
    expect(sorted.map((g) => g.principal)).toEqual(["team:ml", "user:amy", "user:bob", "user:zoe"]);
  });
});

describe("expiryAfterDays", () => {
  it("adds days, or none", () => {
    expect(expiryAfterDays(30, 1000)).toBe(1000 + 30 * 86400);
    expect(expiryAfterDays(null, 1000)).toBeNull();
    expect(expiryAfterDays(0, 1000)).toBeNull();
  });
});

describe("signInErrorMessage", () => {
  it("says what went wrong without echoing secrets", () => {
    expect(signInErrorMessage(new ApiError(401, "unauthorized", "bad credentials"))).toBe("Wrong name or password.");
    expect(signInErrorMessage(new ApiError(429, "rate_limited", "Try again in 900 seconds."))).toBe("Too many failed sign-ins. Try again in 900 seconds.");
    expect(signInErrorMessage(new ApiError(429, "too_many_requests", "too many failed sign-ins for 'ann': try again later"))).toBe(
      "Too many failed sign-ins for 'ann': try again later",
    );
    expect(signInErrorMessage(new ApiError(429, "http_429", "The server answered 429 Too Many Requests."))).toMatch(/Wait a few minutes/);
    expect(signInErrorMessage(new ApiError(403, "sso_only", "Sign in with SSO: password sign-in is off."))).toMatch(/SSO/);
  });
});

describe("auditSince", () => {
  it("counts the period back from now", () => {
    expect(auditSince("24h", 100_000)).toBe(100_000 - 86400);
    expect(auditSince("", 100_000)).toBeNull();
    expect(auditSince("forever", 100_000)).toBeNull();
  });
});
