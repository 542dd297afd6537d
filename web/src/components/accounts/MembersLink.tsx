/** The "Members" entry of a project's navigation: only with accounts on, and only for the project's admins. */
import { projectMembersPath } from "../../pages/accountRoutes";
import { Link } from "../../router";
import { useAccess } from "./useAccess";
import { useSession } from "./Session";

export function ProjectMembersLink({ project, active }: { project: string; active: boolean }) {
  const { me } = useSession();
  const access = useAccess("project", project);
  if (!me?.accounts || !access?.can.admin) return null;
  return (
    <Link to={projectMembersPath(project)} className={active ? "nav-link active" : "nav-link"} aria-current={active ? "page" : undefined} data-testid="nav-members">
      Members
    </Link>
  );
}
