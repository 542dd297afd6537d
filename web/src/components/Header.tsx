import type { ReactNode } from "react";
import "../styles/registry.css";
import { artifactsPath, lineagePath, modelsPath, projectBase } from "../lib/registryPaths";
import type { Theme } from "../lib/urlState";
import { Link, matchPath, usePathname } from "../router";
import { ProjectMembersLink } from "./accounts/MembersLink";
import { UserMenu } from "./accounts/UserMenu";

/** The project the current page belongs to, if any (its first two path segments). */
function currentProject(path: string): string | null {
  const parts = path.split("/").filter(Boolean);
  if (parts[0] !== "projects" || !parts[1]) return null;
  return matchPath("/projects/:project", `/projects/${parts[1]}`)?.project ?? null;
}

function NavLink({ to, active, testId, children }: { to: string; active: boolean; testId: string; children: ReactNode }) {
  return (
    <Link to={to} className={active ? "nav-link active" : "nav-link"} aria-current={active ? "page" : undefined} data-testid={testId}>
      {children}
    </Link>
  );
}

/** Sections of the app. */
function SectionNav({ path }: { path: string }) {
  const inModels = path === "/models" || path.startsWith("/models/");
  const inProjects = path === "/" || path.startsWith("/projects/");
  return (
    <nav className="topnav" aria-label="Sections">
      <NavLink to="/" active={inProjects} testId="nav-projects">
        Projects
      </NavLink>
      <NavLink to={modelsPath()} active={inModels} testId="nav-models">
        Models
      </NavLink>
    </nav>
  );
}

/** The pages of the current project: its runs, artifacts and lineage. */
function ProjectNav({ path }: { path: string }) {
  const project = currentProject(path);
  if (!project) return null;
  const section = path.split("/").filter(Boolean)[2] ?? "";
  return (
    <nav className="topnav project-nav" aria-label={`Project ${project}`}>
      <NavLink to={projectBase(project)} active={section === "" || section === "runs" || section === "compare"} testId="nav-runs">
        Runs
      </NavLink>
      <NavLink to={artifactsPath(project)} active={section === "artifacts"} testId="nav-artifacts">
        Artifacts
      </NavLink>
      <NavLink to={lineagePath(project, {})} active={section === "lineage"} testId="nav-lineage">
        Lineage
      </NavLink>
      <ProjectMembersLink project={project} active={section === "members"} />
    </nav>
  );
}

export function Header({ theme, onToggleTheme, crumbs }: { theme: Theme; onToggleTheme: () => void; crumbs: ReactNode }) {
  const path = usePathname();
  return (
    <header className="topbar">
      <Link to="/" className="brand" aria-label="Trailmark home">
        <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
          <rect width="32" height="32" rx="7" fill="var(--accent)" />
          <path d="M6 23 L12 15 L17 19 L26 8" stroke="#fff" strokeWidth="3" fill="none" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <span>Trailmark</span>
      </Link>
      <SectionNav path={path} />
      <nav className="crumbs" aria-label="Breadcrumbs">
        {crumbs}
      </nav>
      <div className="topbar-right">
        <ProjectNav path={path} />
        <button
          type="button"
          className="icon-btn"
          data-testid="theme-toggle"
          onClick={onToggleTheme}
          title={theme === "dark" ? "Switch to the light theme" : "Switch to the dark theme"}
          aria-label="Toggle theme"
        >
          {theme === "dark" ? (
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <circle cx="12" cy="12" r="4.5" fill="currentColor" />
              <g stroke="currentColor" strokeWidth="2" strokeLinecap="round">
                <path d="M12 2v2M12 20v2M2 12h2M20 12h2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
              </g>
            </svg>
          ) : (
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z" fill="currentColor" />
            </svg>
          )}
        </button>
        <UserMenu />
      </div>
    </header>
  );
}
