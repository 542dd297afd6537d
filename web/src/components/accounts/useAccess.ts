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
  const answer = useAsync(
    (signal) => (accountsOn ? getAccess(kind, name, signal) : Promise.resolve(ALLOW_ALL)),
    [kind, name, accountsOn, user],
  );
  if (!me) return null;
  if (!accountsOn) return ALLOW_ALL;
  if (answer.error) return null;
  return answer.data ?? null;
}
