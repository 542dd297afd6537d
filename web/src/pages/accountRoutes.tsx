/** The pages of accounts (sign-in, account, admin, members), matched in one place for App.tsx. */
import type { ReactElement } from "react";
import { modelPath, modelsPath } from "../lib/registryPaths";
import { SIGN_IN_PATH } from "../lib/access";
import { matchPath, projectPath } from "../router";
import { AccountPage } from "./AccountPage";
import { AdminTeamsPage } from "./AdminTeamsPage";
import { AdminUsersPage } from "./AdminUsersPage";
import { AuditLogPage } from "./AuditLogPage";
import { MembersPage } from "./MembersPage";
import { SignInPage } from "./SignInPage";

export type Crumb = { label: string; to?: string };

export const projectMembersPath = (project: string) => `${projectPath(project)}/members`;
export const modelMembersPath = (model: string) => `${modelPath(model)}/members`;

/** The accounts page at `path` with its breadcrumbs, or null when the path is not one of them. */
export function accountRoute(path: string): { page: ReactElement; crumbs: Crumb[] } | null {
  let m;
  if (path === SIGN_IN_PATH) return { page: <SignInPage />, crumbs: [] };
  if (path === "/account") return { page: <AccountPage />, crumbs: [{ label: "Account" }] };
  if (path === "/admin" || path === "/admin/users") return { page: <AdminUsersPage />, crumbs: [{ label: "Admin" }, { label: "Users" }] };
  if (path === "/admin/teams") return { page: <AdminTeamsPage />, crumbs: [{ label: "Admin" }, { label: "Teams" }] };
  if (path === "/admin/audit") return { page: <AuditLogPage />, crumbs: [{ label: "Admin" }, { label: "Audit log" }] };
  if ((m = matchPath("/projects/:project/members", path))) {
    const project = m.project as string;
    return {
      page: <MembersPage key={project} kind="project" name={project} />,
      crumbs: [{ label: "Projects", to: "/" }, { label: project, to: projectPath(project) }, { label: "Members" }],
    };
  }
  if ((m = matchPath("/models/:name/members", path))) {
    const name = m.name as string;
    return {
      page: <MembersPage key={name} kind="model" name={name} />,
      crumbs: [{ label: "Models", to: modelsPath() }, { label: name, to: modelPath(name) }, { label: "Members" }],
    };
  }
  return null;
}
