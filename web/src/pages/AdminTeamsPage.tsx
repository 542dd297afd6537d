/** Server admins: teams (groups of users that project roles are granted to) and their members. */
import { useState, type FormEvent } from "react";
import "../styles/accounts.css";
import { addTeamMember, createTeam, deleteTeam, listTeams, removeTeamMember, type Team } from "../api/accounts";
import { PageHead } from "../components/PageHead";
import { EmptyState, ErrorMessage, Loading } from "../components/common";
import { AdminOnly, AdminTabs } from "../components/accounts/AdminTabs";
import { useCurrentUser } from "../components/accounts/Session";
import { useAsync } from "../hooks/useAsync";

/** Run an API call, then refresh; its failure is shown beside the form that asked. */
function useAction(onDone: () => void): { busy: boolean; error: unknown; run: (call: () => Promise<unknown>) => Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (call: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      onDone();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function TeamCard({ team, onChanged }: { team: Team; onChanged: () => void }) {
  const [user, setUser] = useState("");
  const [confirmDelete, setConfirmDelete] = useState(false);
  const action = useAction(onChanged);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (user.trim() && (await action.run(() => addTeamMember(team.name, user.trim())))) setUser("");
  };
  return (
    <section className="card" data-testid="team-card" data-team={team.name}>
      <div className="card-title">
        <h3>{team.name}</h3>
        {confirmDelete ? (
          <span className="toolbar-row" role="alertdialog" aria-label={`Delete team ${team.name}`}>
            <span className="small">Delete the team? Its members lose the roles granted to it.</span>
            <button type="button" className="btn small danger" disabled={action.busy} onClick={() => void action.run(() => deleteTeam(team.name))}>
              Delete
            </button>
            <button type="button" className="btn small" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" className="btn small" onClick={() => setConfirmDelete(true)}>
            Delete…
          </button>
        )}
      </div>
      {team.description ? <p className="muted small">{team.description}</p> : null}
      <div className="tags" data-testid="team-members">
        {team.members.length === 0 ? <span className="muted small">No members yet.</span> : null}
        {team.members.map((m) => (
          <span key={m} className="tag editable">
            {m}
            <button type="button" aria-label={`Remove ${m} from ${team.name}`} onClick={() => void action.run(() => removeTeamMember(team.name, m))}>
              ×
            </button>
          </span>
        ))}
      </div>
      <form className="inline-form" onSubmit={(e) => void add(e)}>
        <label>
          Add a user
          <input className="input" data-testid="team-add-user" value={user} onChange={(e) => setUser(e.target.value)} placeholder="user name" />
        </label>
        <button type="submit" className="btn small" disabled={action.busy || !user.trim()}>
          Add
        </button>
      </form>
      {action.error ? <ErrorMessage error={action.error} compact /> : null}
    </section>
  );
}

export function AdminTeamsPage() {
  const me = useCurrentUser();
  const teams = useAsync((signal) => listTeams(signal), []);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const action = useAction(teams.reload);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && (await action.run(() => createTeam(name.trim(), description.trim())))) {
      setName("");
      setDescription("");
    }
  };
  return (
    <main className="page accounts-page" data-testid="admin-teams-page">
      <PageHead title="Teams" intro="Groups of users: grant a team a role on a project or model, and each member has it." />
      <AdminTabs />
      <AdminOnly isAdmin={!!me?.admin} />
      <section className="card">
        <form className="inline-form" onSubmit={(e) => void submit(e)} data-testid="new-team-form">
          <label>
            Name
            <input className="input" data-testid="new-team-name" value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            Description
            <input className="input" value={description} onChange={(e) => setDescription(e.target.value)} />
          </label>
          <button type="submit" className="btn primary" disabled={action.busy || !name.trim()}>
            Create team
          </button>
        </form>
        {action.error ? <ErrorMessage error={action.error} compact /> : null}
      </section>
      {teams.error ? <ErrorMessage error={teams.error} onRetry={teams.reload} /> : null}
      {teams.loading && !teams.data ? <Loading label="Loading teams…" /> : null}
      {teams.data && teams.data.teams.length === 0 ? (
        <EmptyState title="No teams yet">
          <p>Create one above, then grant it a role on a project from the project's Members page.</p>
        </EmptyState>
      ) : null}
      {teams.data?.teams.map((t) => <TeamCard key={t.name} team={t} onChanged={teams.reload} />)}
    </main>
  );
}
