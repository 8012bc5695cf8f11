// The till: scan / PLU / search as you type, lines, totals, F-key actions.
import { api } from "../api";
import { scanWithScale } from "./devices";
import { register } from "../app";
import { clear, h, setText } from "../dom";
import { t } from "../i18n";
import { confirm, guarded, pick, prompt, showError, toast, withManager } from "../ui";
import type { ProductHitView, SaleView } from "../generated/types";

type SaleLine = SaleView["lines"][number];

register("till", async (ctx) => {
  let sale: SaleView | null = await api.currentSale().catch(() => null);
  let selected: number | null = sale?.lines.at(-1)?.line_no ?? null;
  let hits: ProductHitView[] = [];
  let hitIndex = 0;
  let searchSeq = 0;
  let searchTimer: number | undefined;

  const entry = h("input", { id: "entry", autocomplete: "off", placeholder: t("entry_placeholder") });
  const results = h("ul", { id: "search-results", class: "results", hidden: true });
  const tbody = h("tbody", { id: "lines" });
  const totals = h("div", { class: "totals", id: "totals" });
  const customer = h("div", { class: "customer", id: "customer" });

  // Rows are keyed by line number and patched in place: a scan appends
  // one row (or changes the cells of one), it does not rebuild the table
  // (BENCHMARKS.md, scan → line rendered). One click listener on the
  // body serves every row.
  const rows = new Map<number, HTMLTableRowElement>();
  const rowKeys = new WeakMap<HTMLTableRowElement, string>();
  let emptyRow: HTMLTableRowElement | null = null;
  tbody.addEventListener("click", (e) => {
    const row = (e.target as Element).closest("tr[data-line]") as HTMLTableRowElement | null;
    if (!row) return;
    selected = Number(row.dataset.line);
    render();
  });
  const totalsCell = {
    subtotal: h("span", {}),
    discount: h("span", { id: "discount-total" }),
    vat: h("span", {}),
    total: h("span", { id: "total" }),
  };
  totals.append(
    h("div", { class: "row" }, h("span", {}, t("subtotal")), totalsCell.subtotal),
    h("div", { class: "row" }, h("span", {}, t("discounts")), totalsCell.discount),
    h("div", { class: "row" }, h("span", {}, t("vat")), totalsCell.vat),
    h("div", { class: "row grand" }, h("span", {}, t("total")), totalsCell.total),
  );

  const rowKey = (l: SaleLine) => JSON.stringify([l.sku, l.rule, l.name]);

  function lineRow(l: SaleLine): HTMLTableRowElement {
    return h(
      "tr",
      { "data-line": l.line_no, "data-sku": l.sku },
      h("td", { class: "name" }, l.name, l.rule !== "base" ? h("small", {}, ` ${l.rule}`) : null),
      h("td", { class: "num qty" }),
      h("td", { class: "num" }),
      h("td", { class: "num discount" }),
      h("td", { class: "num line-total" }),
    );
  }

  function fillRow(row: HTMLTableRowElement, l: SaleLine) {
    const cells = row.cells;
    setText(cells[1], `${l.qty} ${l.unit === "piece" ? "" : l.unit}`);
    setText(cells[2], l.unit_price);
    setText(cells[3], l.discount === "0.00" ? "" : `-${l.discount}`);
    setText(cells[4], l.total);
    row.classList.toggle("selected", l.line_no === selected);
  }

  function render() {
    const lines = sale?.lines ?? [];
    if (lines.length === 0) {
      for (const row of rows.values()) row.remove();
      rows.clear();
      emptyRow ??= h("tr", { class: "empty" }, h("td", { colspan: 5 }, t("empty_sale")));
      if (!emptyRow.isConnected) tbody.append(emptyRow);
    } else {
      emptyRow?.remove();
      const live = new Set<number>();
      let before: ChildNode | null = tbody.firstChild;
      for (const l of lines) {
        live.add(l.line_no);
        let row = rows.get(l.line_no);
        // the name cell is built once; a different product or rule on
        // this line number (a new sale, a recalled one) gets a new row
        if (row && rowKeys.get(row) !== rowKey(l)) {
          if (row === before) before = row.nextSibling;
          row.remove();
          row = undefined;
        }
        if (!row) {
          row = lineRow(l);
          rowKeys.set(row, rowKey(l));
          rows.set(l.line_no, row);
        }
        fillRow(row, l);
        if (row !== before) tbody.insertBefore(row, before);
        before = row.nextSibling;
      }
      for (const [no, row] of rows) {
        if (!live.has(no)) {
          row.remove();
          rows.delete(no);
        }
      }
    }
    setText(totalsCell.subtotal, sale?.subtotal ?? "0.00");
    setText(totalsCell.discount, sale && sale.discount_total !== "0.00" ? `-${sale.discount_total}` : "0.00");
    setText(totalsCell.vat, sale?.vat_total ?? "0.00");
    setText(totalsCell.total, `${sale?.total ?? "0.00"} ${ctx.session.currency}`);
    setText(customer, sale?.customer ? `${sale.customer.code} ${sale.customer.name} ${sale.customer.group ?? ""}` : "");
    // Last, after every write: scrolling reads layout, and a write after
    // it would make the frame lay out twice.
    if (selected !== null) rows.get(selected)?.scrollIntoView({ block: "nearest" });
  }

  function renderHits() {
    clear(results);
    results.hidden = hits.length === 0;
    hits.forEach((p, i) =>
      results.append(
        h(
          "li",
          {
            class: i === hitIndex ? "active" : "",
            "data-sku": p.sku,
            onclick: () => void add(p.sku, null),
          },
          h("span", {}, p.name),
          h("span", { class: "num" }, p.price ?? ""),
        ),
      ),
    );
  }

  function splitQty(text: string): [string | null, string] {
    const m = /^(\d+(?:[.,]\d+)?)\*(.*)$/.exec(text.trim());
    return m ? [m[1], m[2]] : [null, text.trim()];
  }

  async function add(code: string, qty: string | null) {
    const [typedQty] = splitQty(entry.value);
    const started = performance.now();
    try {
      sale = await scanWithScale(code, qty ?? typedQty); // devices.ts: weighed products read the scale
      selected = sale.last_line_no ?? selected;
      if (entry.value !== "") entry.value = "";
      if (hits.length > 0) {
        hits = [];
        renderHits();
      }
      render();
      // the shell's round trip plus the DOM patch, for the measurement
      // (e2e/measure.mjs); one entry, replaced per scan
      performance.clearMeasures("kasa-scan");
      performance.measure("kasa-scan", { start: started });
    } catch (e) {
      showError(e);
    }
    entry.focus();
  }

  function search() {
    const [, text] = splitQty(entry.value);
    window.clearTimeout(searchTimer);
    if (text.length < 2 || /^\d+$/.test(text)) {
      hits = [];
      renderHits();
      return;
    }
    searchTimer = window.setTimeout(async () => {
      const seq = ++searchSeq;
      const found = await api.search(text, 12).catch(() => []);
      if (seq !== searchSeq) return;
      hits = found;
      hitIndex = 0;
      renderHits();
    }, 60);
  }
  entry.addEventListener("input", search);
  entry.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      const [qty, text] = splitQty(entry.value);
      if (hits.length > 0) void add(hits[hitIndex].sku, qty);
      else if (text) void add(text, qty);
    } else if (e.key === "ArrowDown" && hits.length) {
      e.preventDefault();
      hitIndex = Math.min(hits.length - 1, hitIndex + 1);
      renderHits();
    } else if (e.key === "ArrowUp" && hits.length) {
      e.preventDefault();
      hitIndex = Math.max(0, hitIndex - 1);
      renderHits();
    } else if (e.key === "Escape") {
      entry.value = "";
      hits = [];
      renderHits();
    }
  });

  const needLine = (): number | null => {
    if (selected === null) toast(t("empty_sale"), "error");
    return selected;
  };

  const actions: Record<string, () => Promise<void>> = {
    F2: async () => {
      const n = needLine();
      if (n === null) return;
      const q = await prompt(t("qty_for_line", { n }), { id: "qty-input" });
      if (q) sale = (await withManager((pin) => api.setQuantity(n, q, pin))) ?? sale;
    },
    F3: async () => {
      const n = needLine();
      if (n === null) return;
      const p = await prompt(t("discount_percent_line", { n }), { id: "discount-input" });
      if (p) sale = (await withManager((pin) => api.discountLine(n, p, pin))) ?? sale;
    },
    F4: async () => {
      const p = await prompt(t("discount_percent_receipt"), { id: "discount-input" });
      if (p) sale = (await withManager((pin) => api.discountReceipt(p, pin))) ?? sale;
    },
    F5: async () => {
      const n = needLine();
      if (n === null) return;
      const p = await prompt(t("manual_price_line", { n }), { id: "price-input" });
      if (p) sale = (await withManager((pin) => api.overridePrice(n, p, pin))) ?? sale;
    },
    F6: async () => {
      const n = needLine();
      if (n === null) return;
      const updated = await withManager((pin) => api.voidLine(n, pin));
      if (updated) {
        sale = updated;
        selected = sale.lines.at(-1)?.line_no ?? null;
      }
    },
    F7: async () => {
      if (!sale || !(await confirm(t("confirm_void_sale")))) return;
      const number = await withManager((pin) => api.voidSale(pin));
      if (number !== null) {
        sale = null;
        selected = null;
        toast(t("done_number", { n: number }));
      }
    },
    F8: async () => {
      if (!sale) return;
      const label = await prompt(t("park_label"), { id: "park-label" });
      if (label === null) return;
      await api.park(label || null);
      sale = null;
      selected = null;
    },
    F9: async () => {
      const parked = await api.listParked();
      const id = await pick(
        t("parked_sales"),
        parked.map((p) => ({ id: p.id, label: `${p.parked_at.slice(11, 16)} ${p.cashier} ${p.label ?? ""} · ${t("lines_n", { n: p.lines })}` })),
      );
      if (id) {
        sale = await api.recall(id);
        selected = sale.lines.at(-1)?.line_no ?? null;
      }
    },
    F10: async () => {
      const code = await prompt(t("customer_code"), { id: "customer-input", value: sale?.customer?.code ?? "" });
      if (code !== null) sale = await api.setCustomer(code || null);
    },
    F12: async () => {
      if (sale && sale.lines.length > 0) ctx.go("payment");
    },
  };

  const run = (key: string) =>
    void guarded(async () => {
      await actions[key]();
      render();
      entry.focus();
    });

  const buttons: [string, Parameters<typeof t>[0]][] = [
    ["F2", "f2_qty"],
    ["F3", "f3_line_discount"],
    ["F4", "f4_receipt_discount"],
    ["F5", "f5_price"],
    ["F6", "f6_void_line"],
    ["F7", "f7_void_sale"],
    ["F8", "f8_park"],
    ["F9", "f9_recall"],
    ["F10", "f10_customer"],
    ["F12", "f12_pay"],
  ];

  const el = h(
    "section",
    { class: "till" },
    h(
      "div",
      { class: "left" },
      h("div", { class: "entry-wrap" }, entry, results),
      h(
        "div",
        { class: "lines-wrap" },
        h(
          "table",
          { class: "lines" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", {}, t("col_item")), h("th", {}, t("col_qty")), h("th", {}, t("col_price")), h("th", {}, t("col_discount")), h("th", {}, t("col_total"))),
          ),
          tbody,
        ),
      ),
    ),
    h(
      "div",
      { class: "right" },
      customer,
      totals,
      h(
        "div",
        { class: "fkeys" },
        buttons.map(([k, label]) =>
          h("button", { id: `btn-${k.toLowerCase()}`, class: k === "F12" ? "primary pay" : "", onclick: () => run(k) }, t(label)),
        ),
      ),
    ),
  );
  render();

  return {
    el,
    defaultField: () => entry,
    onScan: (code: string) => void add(code, null),
    onKey: (e: KeyboardEvent) => {
      if (actions[e.key]) {
        run(e.key);
        return true;
      }
      if ((e.key === "ArrowUp" || e.key === "ArrowDown") && hits.length === 0 && sale && sale.lines.length) {
        const idx = sale.lines.findIndex((l) => l.line_no === selected);
        const next = Math.max(0, Math.min(sale.lines.length - 1, idx + (e.key === "ArrowUp" ? -1 : 1)));
        selected = sale.lines[next].line_no;
        render();
        return true;
      }
      return false;
    },
  };
});
