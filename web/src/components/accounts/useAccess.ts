/**
 * What the signed-in person may do on one project or model (`GET .../access`), so that pages hide
 * or disable what the server would refuse. With accounts off nothing is asked: everything is allowed.
 */
import { getAccess, type Access, type ResourceKind } from "../../api/accounts";
import { useAsync } from "../../hooks/useAsync";
import { ALLOW_ALL } from "../../lib/access";
import { useSession } from "./Session";

/** null while unknown; ALLOW_ALL when accounts are off or the server cannot say. */
export function useAccess(kind: ResourceKind, name: string): Access | null {
  const { me } = useSession();
  const accountsOn = !!me?.accounts;
  const user = me?.user?.name ?? null;
  // Not signed in yet: the sign-in page is on its way, and asking would only be refused.
  const ask = accountsOn && user !== null;
  const answer = useAsync((signal) => (ask ? getAccess(kind, name, signal) : Promise.resolve(null)), [kind, name, ask, user]);
  if (!me) return null;
  if (!accountsOn) return ALLOW_ALL;
  if (!ask) return null;
  if (answer.error) return null;
  return answer.data ?? null;
}
