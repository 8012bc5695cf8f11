// Stock count (scan to count, partial and blind, review the variance,
// approve with a manager) and receiving a delivery.
import { api } from "../api";
import { register } from "../app";
import { clear, h } from "../dom";
import { t } from "../i18n";
import { guarded, showError, toast, withManager } from "../ui";
import type { CountReviewView, CountSessionView, ReceiveLineInput } from "../generated/types";

register("count", async (ctx) => {
  let session: CountSessionView | null = await api.countCurrent().catch(() => null);
  const el = h("section", { class: "count" });
  const code = h("input", { id: "count-code", autocomplete: "off", placeholder: t("scan_to_count") });
  const qty = h("input", { id: "count-qty", inputmode: "decimal", autocomplete: "off", value: "1" });

  async function add(c: string) {
    try {
      session = await api.countAdd(c.trim(), qty.value.trim() || null);
      code.value = "";
      qty.value = "1";
      render();
    } catch (e) {
      showError(e);
    }
    code.focus();
  }
  code.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      if (code.value.trim()) void add(code.value);
    }
  });

  function reviewBlock(r: CountReviewView) {
    return h(
      "div",
      { id: "count-review" },
      h(
        "table",
        { class: "lines" },
        h("tr", {}, h("th", {}, "SKU"), h("th", {}, t("expected")), h("th", {}, t("counted", { kind: "" })), h("th", {}, t("variance")), h("th", {}, t("amount"))),
        r.lines
          .filter((l) => l.variance !== "0")
          .slice(0, 200)
          .map((l) =>
            h("tr", { "data-sku": l.sku }, h("td", {}, l.sku), h("td", { class: "num" }, l.expected), h("td", { class: "num" }, l.counted), h("td", { class: "num" }, l.variance), h("td", { class: "num" }, l.value)),
          ),
      ),
      h("p", { class: "grand" }, `${t("total_value")}: `, h("span", { id: "count-total-value" }, r.total_value)),
      h(
        "button",
        {
          id: "count-approve",
          class: "primary",
          onclick: () =>
            void guarded(async () => {
              const d = await withManager((pin) => api.countApprove(pin));
              if (d) {
                session = null;
                render();
                el.append(h("p", { id: "count-approved" }, t("done_number", { n: d.number })));
              }
            }),
        },
        t("approve_count"),
      ),
    );
  }

  function render() {
    clear(el);
    el.append(h("h1", {}, t("count_title")));
    if (!session) {
      const blind = h("input", { id: "count-blind", type: "checkbox" });
      const groups = h("input", { id: "count-groups", autocomplete: "off" });
      el.append(
        h("label", { class: "check" }, blind, t("blind_count")),
        h("label", {}, t("groups_optional"), groups),
        h(
          "button",
          {
            id: "count-start",
            class: "primary",
            onclick: () =>
              void guarded(async () => {
                const g = groups.value.split(",").map((s) => s.trim()).filter(Boolean);
                session = await api.countStart(blind.checked, g, []);
                render();
                code.focus();
              }),
          },
          t("start_count"),
        ),
      );
      return;
    }
    const s = session;
    el.append(
      h("p", {}, `${s.scope}${s.blind ? " · blind" : ""}`),
      h("div", { class: "row" }, code, qty, h("button", { id: "count-add", onclick: () => void add(code.value) }, t("add"))),
      h(
        "table",
        { class: "lines", id: "count-entries" },
        h("tr", {}, h("th", {}, t("col_item")), h("th", {}, t("col_qty")), h("th", {}, t("counted", { kind: "" })), s.blind ? null : h("th", {}, t("expected"))),
        s.entries.map((e) =>
          h("tr", { "data-sku": e.sku }, h("td", {}, e.name), h("td", { class: "num" }, e.qty), h("td", { class: "num" }, e.counted), s.blind ? null : h("td", { class: "num" }, e.expected ?? "")),
        ),
      ),
      h(
        "button",
        {
          id: "count-review-btn",
          onclick: () =>
            void guarded(async () => {
              const r = await api.countReview();
              el.querySelector("#count-review")?.remove();
              el.append(reviewBlock(r));
            }),
        },
        t("review"),
      ),
    );
  }
  render();
  void ctx;
  return { el, defaultField: () => (session ? code : null), onScan: (c) => (session ? void add(c) : toast(t("start_count"), "error")) };
});

register("receiving", () => {
  const lines: (ReceiveLineInput & { name: string })[] = [];
  const supplier = h("input", { id: "recv-supplier", autocomplete: "off", placeholder: t("supplier") });
  const note = h("input", { id: "recv-note", autocomplete: "off", placeholder: t("delivery_note") });
  const code = h("input", { id: "recv-code", autocomplete: "off", placeholder: t("code") });
  const qty = h("input", { id: "recv-qty", inputmode: "decimal", value: "1", autocomplete: "off" });
  const cost = h("input", { id: "recv-cost", inputmode: "decimal", autocomplete: "off", placeholder: t("unit_cost") });
  const table = h("table", { class: "lines", id: "recv-lines" });

  function render() {
    clear(table);
    table.append(h("tr", {}, h("th", {}, t("col_item")), h("th", {}, t("col_qty")), h("th", {}, t("unit_cost"))));
    for (const l of lines) table.append(h("tr", {}, h("td", {}, l.name), h("td", { class: "num" }, l.qty), h("td", { class: "num" }, l.unit_cost ?? "")));
  }
  async function add(c: string) {
    await guarded(async () => {
      const r = await api.resolveCode(c.trim());
      lines.push({ code: c.trim(), qty: qty.value.trim() || "1", unit_cost: cost.value.trim() || null, name: r.name });
      code.value = "";
      qty.value = "1";
      cost.value = "";
      render();
    });
    code.focus();
  }
  code.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      if (code.value.trim()) void add(code.value);
    }
  });
  const el = h(
    "section",
    { class: "receiving" },
    h("h1", {}, t("receiving_title")),
    h("div", { class: "row" }, supplier, note),
    h("div", { class: "row" }, code, qty, cost, h("button", { id: "recv-add", onclick: () => void add(code.value) }, t("add"))),
    table,
    h(
      "button",
      {
        id: "recv-submit",
        class: "primary",
        onclick: () =>
          void guarded(async () => {
            const d = await api.receive({
              supplier: supplier.value.trim() || "—",
              delivery_note: note.value.trim() || null,
              lines: lines.map(({ code, qty, unit_cost }) => ({ code, qty, unit_cost })),
            });
            lines.length = 0;
            render();
            toast(t("done_number", { n: d.number }));
          }),
      },
      t("receive"),
    ),
  );
  render();
  return { el, defaultField: () => code, onScan: (c) => void add(c) };
});
