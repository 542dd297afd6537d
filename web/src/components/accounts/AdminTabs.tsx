/** The admin section's pages: users, teams, audit log. */
import { Link, usePathname } from "../../router";

const TABS = [
  { to: "/admin/users", label: "Users", testId: "admin-users" },
  { to: "/admin/teams", label: "Teams", testId: "admin-teams" },
  { to: "/admin/audit", label: "Audit log", testId: "admin-audit" },
];

export function AdminTabs() {
  const path = usePathname();
  return (
    <nav className="admin-tabs topnav" aria-label="Admin">
      {TABS.map((t) => (
        <Link key={t.to} to={t.to} className={path === t.to ? "nav-link active" : "nav-link"} aria-current={path === t.to ? "page" : undefined} data-testid={t.testId}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}

/** Only server admins see the admin pages; others get the reason (the server refuses them anyway). */
export function AdminOnly({ isAdmin }: { isAdmin: boolean }) {
  if (isAdmin) return null;
  return (
    <p className="not-allowed" data-testid="admin-only">
      Only server admins manage users, teams and the audit log.
    </p>
  );
}
