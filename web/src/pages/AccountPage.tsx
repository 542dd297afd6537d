/** The signed-in user's own page: who they are, their password, their API keys. */
import "../styles/accounts.css";
import { createMyKey, listMyKeys, revokeMyKey } from "../api/accounts";
import { PageHead } from "../components/PageHead";
import { EmptyState } from "../components/common";
import { KeyTable, NewKeyForm } from "../components/accounts/ApiKeys";
import { PasswordForm } from "../components/accounts/PasswordForm";
import { useSession } from "../components/accounts/Session";
import { useAsync } from "../hooks/useAsync";
import { displayName } from "../lib/access";

export function AccountPage() {
  const { me } = useSession();
  const user = me?.user ?? null;
  const keys = useAsync((signal) => (user ? listMyKeys(signal) : Promise.resolve({ keys: [] })), [user?.name]);
  if (!me?.accounts || !user)
    return (
      <main className="page">
        <EmptyState title="No accounts on this server">
          <p>Without accounts there is no one to sign in as, and no key is needed: every client works as one user.</p>
        </EmptyState>
      </main>
    );
  const host = window.location.hostname || "this server";
  return (
    <main className="page accounts-page" data-testid="account-page">
      <PageHead
        title={displayName(user)}
        intro={
          <>
            Signed in as <strong>{user.name}</strong>
            {user.email ? ` (${user.email})` : ""}
            {user.admin ? " · server admin" : ""}.
          </>
        }
      />
      <section className="card">
        <div className="card-title">
          <h3>API keys</h3>
        </div>
        <p className="muted small">
          Keys let the SDK, the CLI, MLflow clients and scripts act as you on {host}. A read-only key can look but not change anything.
        </p>
        <NewKeyForm create={createMyKey} onCreated={keys.reload} defaultName="" />
        <KeyTable keys={keys} onRevoke={(k) => revokeMyKey(k.id)} />
      </section>
      {user.service ? null : (
        <section className="card">
          <div className="card-title">
            <h3>Password</h3>
          </div>
          <PasswordForm />
        </section>
      )}
    </main>
  );
}
