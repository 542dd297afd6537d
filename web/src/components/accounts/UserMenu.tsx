/** The signed-in user's menu in the header: their name, Account, Admin (server admins), Sign out. Nothing when accounts are off. */
import { useEffect, useRef, useState } from "react";
import "../../styles/accounts.css";
import { signOut } from "../../api/accounts";
import { displayName, SIGN_IN_PATH } from "../../lib/access";
import { Link, navigate } from "../../router";
import { useSession } from "./Session";

export const ACCOUNT_PATH = "/account";
export const ADMIN_PATH = "/admin/users";

export function UserMenu() {
  const { me, setMe } = useSession();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);

  const user = me?.user;
  if (!me?.accounts || !user) return null;

  const doSignOut = async () => {
    setOpen(false);
    try {
      await signOut();
    } finally {
      // Signed out or not, the session is no use here any more: show the sign-in page.
      setMe({ ...me, user: null });
      navigate(SIGN_IN_PATH, { replace: true });
    }
  };

  const shown = displayName(user);
  return (
    <div className="user-menu" ref={box}>
      <button
        type="button"
        className="btn user-menu-button"
        data-testid="user-menu"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        title={`Signed in as ${user.name}`}
      >
        <span className="avatar" aria-hidden="true">
          {shown.slice(0, 1).toUpperCase()}
        </span>
        <span data-testid="user-name">{shown}</span>
      </button>
      {open ? (
        <div className="user-menu-list" role="menu">
          <div className="who">
            <div>{shown}</div>
            <div className="muted small">
              {user.name}
              {user.admin ? " · server admin" : ""}
            </div>
          </div>
          <Link to={ACCOUNT_PATH} role="menuitem" data-testid="menu-account" onClick={() => setOpen(false)}>
            Account and API keys
          </Link>
          {user.admin ? (
            <Link to={ADMIN_PATH} role="menuitem" data-testid="menu-admin" onClick={() => setOpen(false)}>
              Admin
            </Link>
          ) : null}
          <button type="button" role="menuitem" data-testid="sign-out" onClick={() => void doSignOut()}>
            Sign out
          </button>
        </div>
      ) : null}
    </div>
  );
}
