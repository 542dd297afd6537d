/** Change one's own password: the current one, then the new one twice (the server signs out the other sessions). */
import { useState, type FormEvent } from "react";
import { changePassword } from "../../api/accounts";
import { ApiError } from "../../api/client";

const MIN_LENGTH = 12;

export function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const problem =
    next && next.length < MIN_LENGTH ? `At least ${MIN_LENGTH} characters.` : again && again !== next ? "The two new passwords differ." : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problem || !current || !next) return;
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await changePassword(current, next);
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
    } catch (err) {
      setError(err instanceof ApiError && (err.status === 401 || err.status === 403) ? "The current password is wrong." : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack-form" onSubmit={(e) => void submit(e)} data-testid="password-form">
      <label>
        Current password
        <input className="input" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />
      </label>
      <label>
        New password
        <input className="input" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={MIN_LENGTH} />
      </label>
      <label>
        New password again
        <input className="input" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
      </label>
      {problem ? <p className="field-error">{problem}</p> : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {done ? (
        <p className="form-ok" role="status">
          Password changed. Your other sessions were signed out.
        </p>
      ) : null}
      <button type="submit" className="btn primary" disabled={busy || !!problem || !current || !next || next !== again}>
        Change password
      </button>
    </form>
  );
}
