import { useCallback, useMemo } from "react";
import { decodeWorkspace, encodeWorkspace, type WorkspaceState } from "../lib/urlState";
import { useSearch, useSetSearch } from "../router";

/** The workspace's view state, read from and written to the URL. */
export function useWorkspaceState(): [WorkspaceState, (patch: Partial<WorkspaceState>) => void] {
  const search = useSearch();
  const setSearch = useSetSearch();
  const state = useMemo(() => decodeWorkspace(search), [search]);
  const update = useCallback(
    (patch: Partial<WorkspaceState>) => {
      const current = decodeWorkspace(window.location.search);
      setSearch(encodeWorkspace({ ...current, ...patch }, window.location.search));
    },
    [setSearch],
  );
  return [state, update];
}
