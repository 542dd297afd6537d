/** A collapsible section of chart panels: a head with its title and panel count, then the panels in `cols` columns. */
import type { ReactNode } from "react";

export function ChartSection({
  id,
  title,
  count,
  countTitle,
  collapsed,
  onToggle,
  cols,
  children,
}: {
  id: string;
  title: string;
  count: number;
  countTitle?: string;
  collapsed: boolean;
  onToggle: () => void;
  cols: number;
  children: ReactNode;
}) {
  return (
    <section className="panel-section" data-testid="panel-section" data-prefix={id}>
      <button type="button" className="section-head" aria-expanded={!collapsed} onClick={onToggle}>
        <span className={collapsed ? "chevron" : "chevron open"} aria-hidden="true">
          ▸
        </span>
        <span className="section-title">{title}</span>
        <span className="count" title={countTitle}>
          {count}
        </span>
      </button>
      {!collapsed && (
        <div className="panel-grid" style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}>
          {children}
        </div>
      )}
    </section>
  );
}
