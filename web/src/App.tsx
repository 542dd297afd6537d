import { Fragment, type ReactElement } from "react";
import { EmptyState } from "./components/common";
import { Header } from "./components/Header";
import { useSlashFocus } from "./hooks/useDom";
import { ThemeContext, useTheme } from "./hooks/useTheme";
import { ArtifactPage } from "./pages/ArtifactPage";
import { ArtifactsPage } from "./pages/ArtifactsPage";
import { ComparePage } from "./pages/ComparePage";
import { LineagePage } from "./pages/LineagePage";
import { ModelPage } from "./pages/ModelPage";
import { ModelsPage } from "./pages/ModelsPage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { RunPage } from "./pages/RunPage";
import { WorkspacePage } from "./pages/WorkspacePage";
import { accountRoute } from "./pages/accountRoutes";
import { SessionGate, SessionProvider } from "./components/accounts/Session";
import { artifactsPath, modelsPath } from "./lib/registryPaths";
import { Link, matchPath, projectPath, usePathname } from "./router";

export function App() {
  const [theme, toggleTheme] = useTheme();
  const path = usePathname();
  useSlashFocus();

  let page: ReactElement;
  const crumbs: { label: string; to?: string }[] = [{ label: "Projects", to: "/" }];
  let m;
  const accounts = accountRoute(path);
  if (accounts) {
    page = accounts.page;
    crumbs.splice(0, crumbs.length, ...accounts.crumbs);
  } else if (matchPath("/", path)) {
    page = <ProjectsPage />;
    crumbs.length = 0; // the section link in the header says where we are
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
  } else if ((m = matchPath("/projects/:project/artifacts", path))) {
    const project = m.project as string;
    crumbs.push({ label: project, to: projectPath(project) }, { label: "Artifacts" });
    page = <ArtifactsPage key={project} project={project} />;
  } else if ((m = matchPath("/projects/:project/artifacts/:name", path))) {
    const project = m.project as string;
    const name = m.name as string;
    crumbs.push({ label: project, to: projectPath(project) }, { label: "Artifacts", to: artifactsPath(project) }, { label: name });
    page = <ArtifactPage key={`${project}/${name}`} project={project} name={name} />;
  } else if ((m = matchPath("/projects/:project/lineage", path))) {
    const project = m.project as string;
    crumbs.push({ label: project, to: projectPath(project) }, { label: "Lineage" });
    page = <LineagePage key={project} project={project} />;
  } else if (matchPath("/lineage", path)) {
    crumbs.push({ label: "Lineage" });
    page = <LineagePage project={null} />;
  } else if (matchPath("/models", path)) {
    crumbs.length = 0;
    page = <ModelsPage />;
  } else if ((m = matchPath("/models/:name", path))) {
    const name = m.name as string;
    crumbs[0] = { label: "Models", to: modelsPath() };
    crumbs.push({ label: name });
    page = <ModelPage key={name} name={name} />;
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
    <SessionProvider>
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
      <SessionGate>{page}</SessionGate>
    </div>
    </SessionProvider>
    </ThemeContext.Provider>
  );
}
