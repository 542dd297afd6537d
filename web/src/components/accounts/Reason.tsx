/** The reason an action is not offered, shown where the action would be. */
import "../../styles/accounts.css";

export function NotAllowed({ reason, testId = "not-allowed" }: { reason: string; testId?: string }) {
  return (
    <p className="not-allowed" data-testid={testId}>
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
        <rect x="3" y="7" width="10" height="7" rx="1.5" fill="currentColor" />
        <path d="M5 7V5a3 3 0 0 1 6 0v2" stroke="currentColor" strokeWidth="1.6" fill="none" />
      </svg>
      <span>{reason}</span>
    </p>
  );
}
