/**
 * Sign in with a name and password, or with SSO when the server offers it; then back to the page
 * the person came from (`?next=`). A wrong password or too many attempts say so on the form.
 */
import { useState, type FormEvent } from "react";
import "../styles/accounts.css";
import { signIn, SSO_START } from "../api/accounts";
import { Loading } from "../components/common";
import { useSession } from "../components/accounts/Session";
import { useQueryParams } from "../hooks/useQueryParams";
import { safeNext, signInErrorMessage } from "../lib/access";
import { Link, navigate } from "../router";

export function SignInPage() {
  const { me, setMe } = useSession();
  const [params] = useQueryParams();
  const next = safeNext(params.get("next"));
  const ssoError = params.get("error");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  if (!me) return <main className="page"><Loading /></main>;
  if (!me.accounts)
    return (
      <main className="page sign-in-page">
        <div className="card sign-in-card" data-testid="sign-in-off">
          <h1>No sign-in needed</h1>
          <p className="muted">This server has no accounts: everyone who reaches it works as one user.</p>
          <Link to="/">Go to the projects</Link>
        </div>
      </main>
    );
  if (me.user)
    return (
      <main className="page sign-in-page">
        <div className="card sign-in-card" data-testid="signed-in">
          <h1>Signed in</h1>
          <p className="muted">You are signed in as {me.user.name}.</p>
          <Link to={next}>Continue</Link>
        </div>
      </main>
    );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !password) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await signIn(name.trim(), password);
      setPassword("");
      // Who is signed in and where to go change together: no "signed in" card in between.
      setMe(answer);
      navigate(next, { replace: true });
    } catch (err) {
      setError(signInErrorMessage(err));
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  const ssoHref = next === "/" ? SSO_START : `${SSO_START}?next=${encodeURIComponent(next)}`;
  return (
    <main className="page sign-in-page" data-testid="sign-in-page">
      <div className="card sign-in-card">
        <h1>Sign in to Trailmark</h1>
        <p className="muted">Your projects, runs and models on this server.</p>
        {ssoError ? (
          <p className="form-error" role="alert" data-testid="sso-error">
            {ssoError}
          </p>
        ) : null}
        {me.sso.only ? null : (
          <form className="stack-form" onSubmit={(e) => void submit(e)} data-testid="sign-in-form">
            <label>
              Name
              <input
                className="input"
                name="username"
                autoComplete="username"
                data-testid="sign-in-name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                autoFocus
                required
              />
            </label>
            <label>
              Password
              <input
                className="input"
                type="password"
                name="password"
                autoComplete="current-password"
                data-testid="sign-in-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
              />
            </label>
            {error ? (
              <p className="form-error" role="alert" data-testid="sign-in-error">
                {error}
              </p>
            ) : null}
            <button type="submit" className="btn primary" disabled={busy} data-testid="sign-in-submit">
              {busy ? "Signing in…" : "Sign in"}
            </button>
          </form>
        )}
        {me.sso.enabled ? (
          <>
            {me.sso.only ? null : <div className="or-line">or</div>}
            <a className="btn sso-btn" href={ssoHref} data-testid="sign-in-sso">
              {me.sso.label ? `Sign in with ${me.sso.label}` : "Sign in with SSO"}
            </a>
          </>
        ) : null}
        <p className="muted small">
          No account? Ask an admin of this server: <code>trailmark users create NAME</code>.
        </p>
      </div>
    </main>
  );
}
