import type { ReactNode } from "react";
import type { Theme } from "../lib/urlState";
import { Link } from "../router";

export function Header({ theme, onToggleTheme, crumbs }: { theme: Theme; onToggleTheme: () => void; crumbs: ReactNode }) {
  return (
    <header className="topbar">
      <Link to="/" className="brand" aria-label="Trailmark home">
        <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
          <rect width="32" height="32" rx="7" fill="var(--accent)" />
          <path d="M6 23 L12 15 L17 19 L26 8" stroke="#fff" strokeWidth="3" fill="none" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <span>Trailmark</span>
      </Link>
      <nav className="crumbs" aria-label="Breadcrumbs">
        {crumbs}
      </nav>
      <div className="topbar-right">
        <button
          type="button"
          className="icon-btn"
          data-testid="theme-toggle"
          onClick={onToggleTheme}
          title={theme === "dark" ? "Switch to the light theme" : "Switch to the dark theme"}
          aria-label="Toggle theme"
        >
          {theme === "dark" ? (
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <circle cx="12" cy="12" r="4.5" fill="currentColor" />
              <g stroke="currentColor" strokeWidth="2" strokeLinecap="round">
                <path d="M12 2v2M12 20v2M2 12h2M20 12h2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
              </g>
            </svg>
          ) : (
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z" fill="currentColor" />
            </svg>
          )}
        </button>
      </div>
    </header>
  );
}
