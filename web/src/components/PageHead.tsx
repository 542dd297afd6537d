/** The head of a page: its title and a line on what it shows, then its tools (a search box, filters). */
import type { ReactNode } from "react";

export function PageHead({ title, intro, children }: { title: string; intro: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        <p className="muted">{intro}</p>
      </div>
      {children}
    </div>
  );
}

/** The page's search box ("/" focuses it). */
export function SearchBox({ noun, testId, value, onChange }: { noun: string; testId: string; value: string; onChange: (text: string) => void }) {
  return (
    <input
      type="search"
      className="input search"
      placeholder={`Search ${noun}  ( / )`}
      aria-label={`Search ${noun}`}
      data-testid={testId}
      data-slash-focus
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}
