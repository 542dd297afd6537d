import { Fragment, type ReactElement } from "react";
import { EmptyState } from "./components/common";
import { Header } from "./components/Header";
import { useSlashFocus } from "./hooks/useDom";
import { ThemeContext, useTheme } from "./hooks/useTheme";
import { ComparePage } from "./pages/ComparePage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { RunPage } from "./pages/RunPage";
import { WorkspacePage } from "./pages/WorkspacePage";
import { Link, matchPath, projectPath, usePathname } from "./router";

export function App() {
  const [theme, toggleTheme] = useTheme();
  const path = usePathname();
  useSlashFocus();

  let page: ReactElement;
  const crumbs: { label: string; to?: string }[] = [{ label: "Projects", to: "/" }];
  let m;
  if ((m = matchPath("/", path))) {
    page = <ProjectsPage />;
    crumbs[0] = { label: "Projects" };
  } else if ((m = matchPath("/projects/:project", path))) {
    const project = m.project as string;
    crumbs.push({ label: project });
    page = <WorkspacePage key={project} project={project} />;
  } else if ((m = matchPath("/projects/:project/compare", path))) {
    const project = m.project as string;
    crumbs.push({ label: project, to: projectPath(project) }, { label: "Compare" });
    page = <ComparePage key={project} project={project} />;
  } else if ((m = matchPath("/projects/:project/runs/:runId", path))) {
    const project = m.project as string;
    crumbs.push({ label: project, to: projectPath(project) }, { label: "Run" });
    page = <RunPage key={`${project}/${m.runId}`} project={project} runId={m.runId as string} />;
  } else {
    page = (
      <main className="page">
        <EmptyState title="Page not found">
          <p>
            Nothing lives at <code>{path}</code>. <Link to="/">Go to the projects</Link>.
          </p>
        </EmptyState>
      </main>
    );
  }

  return (
    <ThemeContext.Provider value={theme}>
    <div className="app">
      <Header
        theme={theme}
        onToggleTheme={toggleTheme}
        crumbs={crumbs.map((c, i) => (
          <Fragment key={i}>
            {i > 0 && <span className="crumb-sep">/</span>}
            {c.to ? <Link to={c.to}>{c.label}</Link> : <span className="crumb-current">{c.label}</span>}
          </Fragment>
        ))}
      />
      {page}
    </div>
    </ThemeContext.Provider>
  );
}
