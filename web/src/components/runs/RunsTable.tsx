/**
 * The runs table: virtualized rows (10,000 runs scroll smoothly; pages load as they come into
 * view), server-side sorting from the headers, optional collapsible groups.
 */
import { flexRender, getCoreRowModel, useReactTable, type Header } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, type MouseEvent } from "react";
import type { Run } from "../../api/types";
import { colorFor } from "../../lib/colors";
import type { RunGroup } from "../../lib/grouping";
import { DEFAULT_ORDER, formatOrder, parseOrder } from "../../lib/urlState";
import { EyeIcon, buildColumns, type ColumnMeta, type RowActions, type RunRow } from "./columns";

type Item = { kind: "group"; group: RunGroup<Run>; collapsed: boolean; visible: number } | { kind: "row"; index: number };

interface Props {
  rows: RunRow[];
  groups: RunGroup<Run>[] | null;
  collapsedGroups: ReadonlySet<string>;
  onToggleGroup: (id: string) => void;
  onToggleGroupVisible: (group: RunGroup<Run>) => void;
  extraColumns: string[];
  order: string;
  onOrder: (order: string) => void;
  actions: RowActions;
  onRange: (start: number, end: number) => void;
  allVisibleToggle: { anyVisible: boolean; toggle: () => void };
}

const ROW_H = 34;

export function RunsTable(props: Props) {
  const { rows, groups, collapsedGroups, extraColumns, order, actions } = props;
  const columns = useMemo(() => buildColumns(extraColumns, actions), [extraColumns, actions]);
  const table = useReactTable({ data: rows, columns, getCoreRowModel: getCoreRowModel(), manualSorting: true });
  const tableRows = table.getRowModel().rows;

  // With groups, rows are ordered group by group; items interleave the group headers.
  const items = useMemo<Item[]>(() => {
    if (!groups) return rows.map((_, index) => ({ kind: "row", index }));
    const out: Item[] = [];
    let index = 0;
    for (const g of groups) {
      const collapsed = collapsedGroups.has(g.id);
      const visible = g.runs.filter((r) => actions.isVisible(r.id)).length;
      out.push({ kind: "group", group: g, collapsed, visible });
      if (!collapsed) for (let i = 0; i < g.runs.length; i++) out.push({ kind: "row", index: index + i });
      index += g.runs.length;
    }
    return out;
  }, [rows, groups, collapsedGroups, actions]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 12,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const first = virtualItems[0]?.index ?? 0;
  const last = virtualItems[virtualItems.length - 1]?.index ?? 0;
  const { onRange } = props;
  useEffect(() => {
    if (!groups) onRange(first, last + 50);
  }, [first, last, groups, onRange]);

  const sizes = table.getVisibleLeafColumns().map((c) => c.getSize());
  const template = sizes.map((s) => `${s}px`).join(" ");
  const totalWidth = sizes.reduce((a, b) => a + b, 0);
  const sort = parseOrder(order || DEFAULT_ORDER);

  const onHeaderClick = (e: MouseEvent, meta: ColumnMeta) => {
    if (!meta.sortField) return;
    const field = meta.sortField;
    const current = sort.find((s) => s.field === field);
    const desc = current ? !current.desc : meta.firstDesc;
    if (e.shiftKey) {
      const rest = sort.filter((s) => s.field !== field);
      props.onOrder(formatOrder([...rest, { field, desc }]));
    } else props.onOrder(formatOrder([{ field, desc }]));
  };

  const headerCell = (h: Header<RunRow, unknown>) => {
    const meta = h.column.columnDef.meta as ColumnMeta;
    const s = meta.sortField ? sort.find((x) => x.field === meta.sortField) : undefined;
    const dir = s ? (s.desc ? "desc" : "asc") : "none";
    if (h.column.id === "controls") {
      return (
        <div key={h.id} className="rt-th controls-th" role="columnheader">
          <button
            type="button"
            className="link-btn small"
            onClick={props.allVisibleToggle.toggle}
            title={props.allVisibleToggle.anyVisible ? "Hide every run from the charts" : "Show the first runs in the charts again"}
          >
            {props.allVisibleToggle.anyVisible ? "Hide all" : "Show"}
          </button>
        </div>
      );
    }
    return (
      <div
        key={h.id}
        role="columnheader"
        className={`rt-th${meta.sortField ? " sortable" : ""}${meta.numeric ? " num" : ""}`}
        data-testid="column-header"
        data-column={h.column.id}
        data-sort={dir}
        aria-sort={dir === "none" ? "none" : dir === "asc" ? "ascending" : "descending"}
        title={meta.sortField ? `${meta.label}: click to sort, shift-click to add to the sort` : meta.label}
        onClick={(e) => onHeaderClick(e, meta)}
      >
        <span className="th-label">{flexRender(h.column.columnDef.header, h.getContext())}</span>
        {dir !== "none" && <span className="sort-arrow">{dir === "asc" ? "▲" : "▼"}</span>}
      </div>
    );
  };

  return (
    <div className="runs-table" data-testid="runs-table" role="table" ref={scrollRef}>
      <div className="rt-head" role="row" style={{ gridTemplateColumns: template, width: totalWidth }}>
        {table.getHeaderGroups()[0]?.headers.map(headerCell)}
      </div>
      <div className="rt-body" style={{ height: virtualizer.getTotalSize(), width: totalWidth }}>
        {virtualItems.map((vi) => {
          const item = items[vi.index] as Item;
          const style = { transform: `translateY(${vi.start}px)`, height: ROW_H, width: totalWidth };
          if (item.kind === "group") {
            const g = item.group;
            return (
              <div key={`g:${g.id}`} className="rt-group" role="row" style={style}>
                <button type="button" className="group-toggle" aria-expanded={!item.collapsed} onClick={() => props.onToggleGroup(g.id)}>
                  <span className={item.collapsed ? "chevron" : "chevron open"} aria-hidden="true">
                    ▸
                  </span>
                </button>
                <button
                  type="button"
                  className={item.visible ? "eye on" : "eye"}
                  title={item.visible ? "Hide this group in charts" : "Show this group in charts"}
                  onClick={() => props.onToggleGroupVisible(g)}
                >
                  <EyeIcon open={item.visible > 0} />
                </button>
                <span className="swatch" style={{ background: colorFor(g.id) }} />
                <span className="group-label">{g.label}</span>
                <span className="count">{g.runs.length} runs</span>
              </div>
            );
          }
          const row = tableRows[item.index];
          const run = row?.original ?? null;
          if (!row || !run) {
            return (
              <div key={`p:${vi.index}`} className="rt-row placeholder" role="row" style={{ ...style, gridTemplateColumns: template }}>
                <div className="skeleton" />
              </div>
            );
          }
          return (
            <div
              key={run.id}
              role="row"
              className={`rt-row${actions.isSelected(run.id) ? " selected" : ""}${actions.isVisible(run.id) ? "" : " dimmed"}`}
              data-testid="run-row"
              data-run-id={run.id}
              data-state={run.state}
              style={{ ...style, gridTemplateColumns: template }}
            >
              {row.getVisibleCells().map((c) => (
                <div key={c.id} role="cell" className={`rt-td col-${c.column.id.replace(/[^a-z0-9]/gi, "_")}`}>
                  {flexRender(c.column.columnDef.cell, c.getContext())}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
