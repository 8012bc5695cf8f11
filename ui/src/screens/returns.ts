// Returns: find the original by number (typed or scanned from the
// receipt's barcode) and refund lines of it; without a receipt with a
// manager.
import { api } from "../api";
import { register } from "../app";
import { clear, h } from "../dom";
import { t } from "../i18n";
import { guarded, withManager } from "../ui";
import { showReceipt } from "./payment";
import type { OriginalSaleView, ReturnLineInput } from "../generated/types";

register("returns", (ctx) => {
  let original: OriginalSaleView | null = null;
  const number = h("input", { id: "return-number", autocomplete: "off", placeholder: t("receipt_number") });
  const body = h("div", { id: "return-body" });
  const tender = h(
    "select",
    { id: "return-tender" },
    ["cash", "card"].map((k) => h("option", { value: k }, t(`tender_${k}` as Parameters<typeof t>[0]))),
  );
  const reason = h("input", { id: "return-reason", placeholder: t("reason"), autocomplete: "off" });

  async function find(n: string) {
    await guarded(async () => {
      original = await api.findSale(n.trim());
      number.value = original.number;
      render();
    });
  }

  async function refund(lines: ReturnLineInput[], orig: string | null) {
    const r = await withManager((pin) =>
      api.makeReturn({ original: orig, lines, tender: tender.value, reason: reason.value || null, approval_pin: pin }),
    );
    if (r) {
      showReceipt(r);
      ctx.go("receipt");
    }
  }

  function render() {
    clear(body);
    if (original) {
      const o = original;
      const inputs = o.lines.map((l) =>
        h("input", {
          class: "return-qty",
          "data-line": l.line_no,
          inputmode: "decimal",
          value: "0",
          autocomplete: "off",
          disabled: Number(l.returnable_qty) <= 0,
        }),
      );
      body.append(
        h("h2", {}, `${o.number} · ${o.completed_at} · ${o.total}`),
        h(
          "table",
          { class: "lines" },
          h(
            "tr",
            {},
            h("th", {}, t("col_item")),
            h("th", {}, t("sold")),
            h("th", {}, t("returned")),
            h("th", {}, t("returnable")),
            h("th", {}, t("col_price")),
            h("th", {}, t("return_qty")),
          ),
          o.lines.map((l, i) =>
            h(
              "tr",
              { "data-line": l.line_no },
              h("td", {}, l.name),
              h("td", { class: "num sold" }, l.sold_qty),
              h("td", { class: "num returned" }, l.returned_qty),
              h("td", { class: "num returnable" }, l.returnable_qty),
              h("td", { class: "num" }, l.unit_price),
              h("td", {}, inputs[i]),
            ),
          ),
        ),
        h(
          "button",
          {
            id: "return-submit",
            class: "primary",
            onclick: () =>
              void guarded(() =>
                refund(
                  o.lines
                    .map((l, i) => ({ line_no: l.line_no, code: null, qty: inputs[i].value.trim() }))
                    .filter((l) => l.qty !== "" && Number(l.qty.replace(",", ".")) > 0),
                  o.number,
                ),
              ),
          },
          t("do_return"),
        ),
      );
    } else {
      const code = h("input", { id: "noreceipt-code", placeholder: t("code"), autocomplete: "off" });
      const qty = h("input", { id: "noreceipt-qty", value: "1", inputmode: "decimal", autocomplete: "off" });
      body.append(
        h("h2", {}, t("without_receipt")),
        h("div", { class: "row" }, code, qty),
        h(
          "button",
          {
            id: "noreceipt-submit",
            onclick: () => void guarded(() => refund([{ line_no: null, code: code.value.trim(), qty: qty.value.trim() }], null)),
          },
          t("do_return"),
        ),
      );
    }
  }
  number.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void find(number.value);
    }
  });
  const el = h(
    "section",
    { class: "returns" },
    h("h1", {}, t("returns_title")),
    h("div", { class: "row" }, number, h("button", { id: "return-find", onclick: () => void find(number.value) }, t("find")), tender, reason),
    body,
  );
  render();
  return { el, defaultField: () => number, onScan: (code) => void find(code) };
});
