/** A project's (or registered model's) members page: visibility and roles, for its admins. */
import "../styles/accounts.css";
import type { ResourceKind } from "../api/accounts";
import { PageHead } from "../components/PageHead";
import { MembersPanel } from "../components/accounts/MembersPanel";

export function MembersPage({ kind, name }: { kind: ResourceKind; name: string }) {
  return (
    <main className="page accounts-page" data-testid="members-page">
      <PageHead title={`Members of ${name}`} intro={`Who may read and change this ${kind}, and whether every signed-in user may read it.`} />
      <section className="card">
        <MembersPanel kind={kind} name={name} />
      </section>
    </main>
  );
}
