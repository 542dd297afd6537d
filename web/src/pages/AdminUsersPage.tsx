/** Server admins: every user, their admin and disabled state, new users, and keys for service accounts. */
import { useState, type FormEvent } from "react";
import "../styles/accounts.css";
import { createServiceKey, createUser, listUsers, updateUser, type User } from "../api/accounts";
import { PageHead } from "../components/PageHead";
import { ErrorMessage, Loading } from "../components/common";
import { AdminOnly, AdminTabs } from "../components/accounts/AdminTabs";
import { NewKeyForm } from "../components/accounts/ApiKeys";
import { useCurrentUser } from "../components/accounts/Session";
import { useAsync } from "../hooks/useAsync";
import { formatDate, formatRelative } from "../lib/format";

function NewUserForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [admin, setAdmin] = useState(false);
  const [service, setService] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<{ name: string; secret: string | null } | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await createUser({ name: name.trim(), admin, service });
      setCreated({ name: name.trim(), secret: answer.password ?? null });
      setName("");
      setAdmin(false);
      setService(false);
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form className="inline-form" onSubmit={(e) => void submit(e)} data-testid="new-user-form">
        <label>
          Name
          <input className="input" data-testid="new-user-name" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label className="check">
          <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> server admin
        </label>
        <label className="check">
          <input type="checkbox" checked={service} onChange={(e) => setService(e.target.checked)} /> service account (keys only)
        </label>
        <button type="submit" className="btn primary" disabled={busy || !name.trim()} data-testid="new-user-submit">
          Create user
        </button>
      </form>
      {error ? <ErrorMessage error={error} compact /> : null}
      {created ? (
        <div className="new-key" role="status" data-testid="new-user-shown">
          <strong>User {created.name} created.</strong>{" "}
          {created.secret ? (
            <>
              Their one-time password, shown only this once:
              <code className="secret" data-testid="new-user-password">{created.secret}</code>
            </>
          ) : (
            <>
              A service account signs in with keys only: make one with <em>New key…</em> in its row.
            </>
          )}
        </div>
      ) : null}
    </>
  );
}

function UserRow({ user, self, onChanged }: { user: User; self: boolean; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [keyOpen, setKeyOpen] = useState(false);
  const change = async (patch: { admin?: boolean; disabled?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      await updateUser(user.name, patch);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-testid="user-row" data-user={user.name}>
      <td>
        <strong>{user.name}</strong>
        {user.display_name && user.display_name !== user.name ? <div className="muted small">{user.display_name}</div> : null}
        {user.email ? <div className="muted small">{user.email}</div> : null}
      </td>
      <td>
        {user.admin ? <span className="pill admin">admin</span> : null}
        {user.service ? <span className="pill">service</span> : null}
        {user.disabled ? <span className="pill off">disabled</span> : null}
      </td>
      <td>{user.created ? <span title={formatDate(user.created, true)}>{formatRelative(user.created)}</span> : null}</td>
      <td>{user.last_sign_in ? <span title={formatDate(user.last_sign_in, true)}>{formatRelative(user.last_sign_in)}</span> : <span className="muted">never</span>}</td>
      <td>
        <span className="toolbar-row">
          <button type="button" className="btn small" disabled={busy || (self && user.admin)} title={self ? "You cannot remove your own admin role" : undefined} onClick={() => void change({ admin: !user.admin })}>
            {user.admin ? "Remove admin" : "Make admin"}
          </button>
          <button type="button" className="btn small" disabled={busy || self} title={self ? "You cannot disable yourself" : undefined} onClick={() => void change({ disabled: !user.disabled })}>
            {user.disabled ? "Enable" : "Disable"}
          </button>
          {user.service ? (
            <button type="button" className="btn small" onClick={() => setKeyOpen(!keyOpen)}>
              New key…
            </button>
          ) : null}
        </span>
        {keyOpen ? <NewKeyForm create={(k) => createServiceKey(user.name, k)} onCreated={() => {}} defaultName="ci" /> : null}
        {error ? <ErrorMessage error={error} compact /> : null}
      </td>
    </tr>
  );
}

export function AdminUsersPage() {
  const me = useCurrentUser();
  const users = useAsync((signal) => listUsers(signal), []);
  return (
    <main className="page accounts-page" data-testid="admin-users-page">
      <PageHead title="Users" intro="Everyone who may sign in, and the service accounts that CI and clusters use." />
      <AdminTabs />
      <AdminOnly isAdmin={!!me?.admin} />
      <section className="card">
        <NewUserForm onCreated={users.reload} />
        {users.error ? <ErrorMessage error={users.error} onRetry={users.reload} compact /> : null}
        {users.loading && !users.data ? <Loading label="Loading users…" /> : null}
        {users.data ? (
          <table className="acct-table" data-testid="users-table">
            <thead>
              <tr>
                <th>User</th>
                <th>Roles</th>
                <th>Created</th>
                <th>Last sign-in</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((u) => (
                <UserRow key={u.name} user={u} self={u.name === me?.name} onChanged={users.reload} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </main>
  );
}
