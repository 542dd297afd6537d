/**
 * Who may do what on one project or registered model: its visibility, and the users and teams
 * granted viewer, editor or admin. Only the resource's admins (and server admins) manage it;
 * others are told why it is not theirs to change.
 */
import { useState, type FormEvent } from "react";
import "../../styles/accounts.css";
import { listMembers, removeMember, ROLES, setMember, setVisibility, type Grant, type ResourceKind, type Role, type Visibility } from "../../api/accounts";
import { useAsync } from "../../hooks/useAsync";
import { adminReason, formatPrincipal, sortGrants, type PrincipalKind } from "../../lib/access";
import { formatRelative } from "../../lib/format";
import { ErrorMessage, Loading } from "../common";
import { NotAllowed } from "./Reason";
import { useAccess } from "./useAccess";
import { useSession } from "./Session";

const ROLE_HELP: Record<Role, string> = {
  viewer: "reads runs, metrics, artifacts",
  editor: "also logs runs, edits notes and tags, sets aliases",
  admin: "also manages members and visibility, deletes",
};

function AddMemberForm({ onAdd }: { onAdd: (principal: string, role: Role) => Promise<boolean> }) {
  const [kind, setKind] = useState<PrincipalKind>("user");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() && (await onAdd(formatPrincipal(kind, name), role))) setName("");
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} data-testid="add-member-form">
      <label>
        Kind
        <select className="input select" data-testid="add-member-kind" value={kind} onChange={(e) => setKind(e.target.value as PrincipalKind)}>
          <option value="user">user</option>
          <option value="team">team</option>
        </select>
      </label>
      <label>
        Name
        <input className="input" data-testid="add-member-name" value={name} onChange={(e) => setName(e.target.value)} placeholder={kind === "user" ? "alice" : "ml-team"} />
      </label>
      <label>
        Role
        <select className="input select" data-testid="add-member-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="btn primary" disabled={!name.trim()} data-testid="add-member-submit">
        Add member
      </button>
    </form>
  );
}

function MemberRow({ grant, self, onRole, onRemove }: { grant: Grant; self: boolean; onRole: (r: Role) => void; onRemove: () => void }) {
  return (
    <tr data-testid="member-row" data-principal={grant.principal} data-role={grant.role}>
      <td>
        <span className="pill">{grant.kind ?? grant.principal.split(":")[0]}</span> {grant.name ?? grant.principal.slice(grant.principal.indexOf(":") + 1)}
        {self ? <span className="muted small"> (you)</span> : null}
      </td>
      <td>
        <select className="input select" aria-label={`Role of ${grant.principal}`} data-testid="member-role" value={grant.role} onChange={(e) => onRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td className="muted small">
        {grant.granted_by ? `by ${grant.granted_by}` : ""} {grant.granted ? formatRelative(grant.granted) : ""}
      </td>
      <td>
        <button type="button" className="btn small" data-testid="member-remove" onClick={onRemove} aria-label={`Remove ${grant.principal}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}

export function MembersPanel({ kind, name }: { kind: ResourceKind; name: string }) {
  const access = useAccess(kind, name);
  const { me } = useSession();
  const reason = adminReason(access, kind, name);
  const allowed = !!access?.can.admin;
  const members = useAsync((signal) => (allowed ? listMembers(kind, name, signal) : Promise.resolve(null)), [kind, name, allowed]);
  const [error, setError] = useState<unknown>(null);

  const act = async (call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      members.reload();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };

  if (!me?.accounts)
    return (
      <p className="muted" data-testid="members-off">
        This server has no accounts: everyone who reaches it may read and change every {kind}. Create the first admin with{" "}
        <code>trailmark users create NAME --admin</code> to give each {kind} its own members.
      </p>
    );
  if (!access) return <Loading label="Loading your access…" />;
  if (reason) return <NotAllowed reason={reason} testId="members-not-allowed" />;

  const data = members.data;
  const self = me.user ? `user:${me.user.name}` : "";
  return (
    <div data-testid="members-panel">
      {members.error ? <ErrorMessage error={members.error} onRetry={members.reload} compact /> : null}
      {!data ? (
        <Loading label="Loading members…" />
      ) : (
        <>
          <div className="inline-form">
            <label>
              Visibility
              <select
                className="input select"
                data-testid="visibility-select"
                value={data.visibility}
                onChange={(e) => void act(() => setVisibility(kind, name, e.target.value as Visibility))}
              >
                <option value="private">private: members only</option>
                <option value="internal">internal: every signed-in user may read</option>
              </select>
            </label>
          </div>
          <table className="acct-table" data-testid="members-table">
            <thead>
              <tr>
                <th>Member</th>
                <th>Role</th>
                <th>Granted</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sortGrants(data.members).map((g) => (
                <MemberRow
                  key={g.principal}
                  grant={g}
                  self={g.principal === self}
                  onRole={(r) => void act(() => setMember(kind, name, g.principal, r))}
                  onRemove={() => void act(() => removeMember(kind, name, g.principal))}
                />
              ))}
            </tbody>
          </table>
          {data.members.length === 0 ? <p className="muted small">No members: only server admins can see this {kind}.</p> : null}
          <AddMemberForm onAdd={(principal, role) => act(() => setMember(kind, name, principal, role))} />
          <p className="muted small">
            {ROLES.map((r) => (
              <span key={r}>
                <strong>{r}</strong>: {ROLE_HELP[r]}.{" "}
              </span>
            ))}
          </p>
        </>
      )}
      {error ? <ErrorMessage error={error} compact /> : null}
    </div>
  );
}
