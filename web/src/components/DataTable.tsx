/** A table with a header row, and rows that open or select something when clicked. */
import type { HTMLAttributes, ReactNode } from "react";

/** A column's heading; `num` right-aligns it over numbers. */
export type Column = string | { label: string; num: true };

export function DataTable({ columns, className, testId, children }: { columns: readonly Column[]; className: string; testId?: string; children: ReactNode }) {
  return (
    <table className={className} data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c) =>
            typeof c === "string" ? (
              <th key={c}>{c}</th>
            ) : (
              <th key={c.label} className="num">
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A row that acts on a click anywhere but on the links and buttons in it (they do their own thing). */
export function ClickableRow({
  onActivate,
  selected,
  children,
  ...rest
}: { onActivate: () => void; selected?: boolean; children: ReactNode } & Omit<HTMLAttributes<HTMLTableRowElement>, "className" | "onClick">) {
  return (
    <tr
      {...rest}
      className={selected ? "clickable selected" : "clickable"}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest("a,button")) return;
        onActivate();
      }}
    >
      {children}
    </tr>
  );
}
