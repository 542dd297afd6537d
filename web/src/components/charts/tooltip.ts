/** A uPlot plugin showing every line's value at the cursor, sorted, built with DOM text only. */
import type uPlot from "uplot";
import { formatNumber } from "../../lib/format";
import { nearestIndex } from "../../lib/series";

export interface TooltipLine {
  label: string;
  color: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number | null>;
  extra?: (i: number) => string;
}

export function tooltipPlugin(getLines: () => TooltipLine[], formatX: (x: number) => string): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  const hide = () => {
    if (tip) tip.style.display = "none";
  };
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement("div");
        tip.className = "chart-tooltip";
        tip.style.display = "none";
        u.over.appendChild(tip);
        u.over.addEventListener("mouseleave", hide);
      },
      setCursor: (u) => {
        if (!tip) return;
        const { left, top, idx } = u.cursor;
        if (idx === null || idx === undefined || left === undefined || left < 0 || top === undefined) return hide();
        const x = u.posToVal(left, "x");
        const rows: { label: string; color: string; value: number; extra: string }[] = [];
        for (const line of getLines()) {
          const j = nearestIndex(line.xs, x);
          if (j < 0) continue;
          const px = u.valToPos(line.xs[j] as number, "x");
          if (Math.abs(px - left) > 24) continue;
          const v = line.ys[j];
          if (v === null || v === undefined) continue;
          rows.push({ label: line.label, color: line.color, value: v, extra: line.extra?.(j) ?? "" });
        }
        if (rows.length === 0) return hide();
        rows.sort((a, b) => b.value - a.value);
        tip.replaceChildren();
        const head = document.createElement("div");
        head.className = "tt-head";
        head.textContent = formatX(x);
        tip.appendChild(head);
        const max = 24;
        for (const r of rows.slice(0, max)) {
          const row = document.createElement("div");
          row.className = "tt-row";
          const sw = document.createElement("span");
          sw.className = "tt-swatch";
          sw.style.background = r.color;
          const name = document.createElement("span");
          name.className = "tt-name";
          name.textContent = r.label;
          const val = document.createElement("span");
          val.className = "tt-val";
          val.textContent = formatNumber(r.value) + (r.extra ? ` ${r.extra}` : "");
          row.append(sw, name, val);
          tip.appendChild(row);
        }
        if (rows.length > max) {
          const more = document.createElement("div");
          more.className = "tt-more";
          more.textContent = `+ ${rows.length - max} more`;
          tip.appendChild(more);
        }
        tip.style.display = "block";
        const w = tip.offsetWidth;
        const h = tip.offsetHeight;
        const overW = u.over.clientWidth;
        const overH = u.over.clientHeight;
        const lx = left + 14 + w > overW ? Math.max(0, left - 14 - w) : left + 14;
        const ty = Math.min(Math.max(0, top - h / 2), Math.max(0, overH - h));
        tip.style.transform = `translate(${lx}px, ${ty}px)`;
      },
    },
  };
}
