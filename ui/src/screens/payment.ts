// Payment (cash with change, card, voucher, on account, split; cash
// rounding shown) and the receipt preview with reprint.
import { api } from "../api";
import { register } from "../app";
import { scanWithScale } from "./devices";
import { clear, h } from "../dom";
import { t } from "../i18n";
import { guarded, showError, toast } from "../ui";
import type { ReceiptView, SaleView } from "../generated/types";

let lastReceipt: ReceiptView | null = null;

register("payment", async (ctx) => {
  let sale: SaleView | null = await api.currentSale();
  const amount = h("input", { id: "tender-amount", inputmode: "decimal", autocomplete: "off", placeholder: t("amount_placeholder") });
  const summary = h("div", { class: "pay-summary", id: "pay-summary" });

  const row = (label: string, value: string, id: string, cls = "") =>
    h("div", { class: `row ${cls}` }, h("span", {}, label), h("span", { id }, value));

  function render() {
    clear(summary);
    if (!sale) return;
    const paid = sale.tenders.map((tn, i) =>
      h(
        "div",
        { class: "row tender", "data-kind": tn.kind },
        h("span", {}, t(`tender_${tn.kind}` as Parameters<typeof t>[0])),
        h("span", {}, tn.amount),
        h("button", { class: "small", onclick: () => void guarded(async () => { sale = await api.removeTender(i); render(); }) }, "×"),
      ),
    );
    summary.append(
      row(t("to_pay"), `${sale.total} ${ctx.session.currency}`, "pay-total", "grand"),
      row(t("cash_due"), sale.cash_due, "pay-cash-due"),
      row(t("cash_rounding"), sale.cash_rounding, "pay-rounding"),
      ...paid,
      row(t("outstanding"), sale.outstanding, "pay-outstanding"),
      row(t("change"), sale.change, "pay-change", "grand"),
    );
  }

  async function tender(kind: string) {
    if (!sale) return;
    try {
      sale = await api.addTender(kind, amount.value.trim() || null, null);
      amount.value = "";
      render();
      if (Number(sale.outstanding) === 0) {
        lastReceipt = await api.completeSale();
        ctx.go("receipt");
        return;
      }
    } catch (e) {
      showError(e);
    }
    amount.focus();
  }

  amount.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void tender("cash");
    }
  });
  const kinds: [string, string][] = [
    ["cash", "F1"],
    ["card", "F2"],
    ["voucher", "F3"],
    ["on_account", "F4"],
  ];
  const el = h(
    "section",
    { class: "payment" },
    h("h1", {}, t("pay_title")),
    summary,
    amount,
    h(
      "div",
      { class: "tenders" },
      kinds.map(([k, f]) =>
        h("button", { id: `tender-${k}`, class: k === "cash" ? "primary" : "", onclick: () => void tender(k) }, `${f} ${t(`tender_${k}` as Parameters<typeof t>[0])}`),
      ),
      h("button", { id: "pay-back", onclick: () => ctx.go("till") }, t("back")),
    ),
  );
  render();
  return {
    el,
    defaultField: () => amount,
    onKey: (e) => {
      const k = kinds.find(([, f]) => f === e.key);
      if (k) {
        void tender(k[0]);
        return true;
      }
      return false;
    },
    onScan: () => toast(t("scan_ignored"), "error"),
  };
});

export function showReceipt(r: ReceiptView) {
  lastReceipt = r;
}

register("receipt", async (ctx) => {
  const r = lastReceipt ?? (await api.lastReceipt());
  const printState = h("p", { id: "print-state" }, r ? t("print_state", { s: r.print.state }) : "");
  const el = h(
    "section",
    { class: "receipt" },
    r
      ? [
          h("h1", { id: "receipt-title", "data-number": r.number, "data-kind": r.kind }, t("receipt_title", { n: r.number })),
          h("div", { class: "change-big" }, h("span", {}, t("change")), h("span", { id: "receipt-change" }, r.change)),
          h("pre", { id: "receipt-preview" }, r.text.join("\n")),
          printState,
        ]
      : h("p", {}, "—"),
    h(
      "div",
      { class: "row" },
      h("button", { id: "receipt-new", class: "primary", onclick: () => ctx.go("till") }, t("new_sale")),
      h(
        "button",
        {
          id: "receipt-reprint",
          onclick: () =>
            void guarded(async () => {
              const o = await api.reprintLast();
              printState.textContent = t("print_state", { s: o.state });
            }),
        },
        t("reprint"),
      ),
    ),
  );
  return {
    el,
    defaultField: () => el.querySelector("#receipt-new"),
    onKey: (e) => {
      if (e.key === "F9") {
        (el.querySelector("#receipt-reprint") as HTMLButtonElement).click();
        return true;
      }
      if (e.key === "Escape") {
        ctx.go("till");
        return true;
      }
      return false;
    },
    // A scan on the receipt screen starts the next sale.
    onScan: (code) => {
      ctx.go("till");
      window.setTimeout(() => void scanWithScale(code, null).then(() => ctx.go("till")).catch(showError), 0);
    },
  };
});
