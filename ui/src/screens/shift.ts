// Shift: open with a float, cash in / out, no-sale, X report, close with
// counted amounts per tender (optionally blind) and the variance.
import { api } from "../api";
import { register, renderStatus } from "../app";
import { clear, h } from "../dom";
import { t } from "../i18n";
import { guarded, prompt, toast, withManager } from "../ui";
import type { ShiftReportView, ZReportView } from "../generated/types";

const TENDERS = ["cash", "card", "voucher", "on_account"];

function reportBlock(r: ShiftReportView) {
  return h("pre", { id: "report-text" }, r.text);
}

function zBlock(z: ZReportView) {
  return h(
    "div",
    { id: "z-report" },
    h("h2", {}, t("z_report", { n: z.number })),
    h(
      "table",
      { class: "lines" },
      h("tr", {}, h("th", {}, ""), h("th", {}, t("expected")), h("th", {}, t("counted", { kind: "" })), h("th", {}, t("variance"))),
      z.tenders.map((tv) =>
        h(
          "tr",
          { "data-kind": tv.kind },
          h("td", {}, t(`tender_${tv.kind}` as Parameters<typeof t>[0])),
          h("td", { class: "num" }, tv.expected ?? "—"),
          h("td", { class: "num" }, tv.counted),
          h("td", { class: "num variance" }, tv.variance ?? "—"),
        ),
      ),
    ),
    h("p", { class: "grand" }, `${t("variance")}: `, h("span", { id: "z-total-variance" }, z.total_variance ?? "—")),
  );
}

register("shift", (ctx) => {
  const out = h("div", { id: "shift-output" });
  const el = h("section", { class: "shift" }, h("h1", {}, t("nav_shift")));

  if (!ctx.session.shift) {
    const float = h("input", { id: "float", inputmode: "decimal", autocomplete: "off", value: "" });
    const open = async () =>
      guarded(async () => {
        await api.openShift(float.value.trim() || "0");
        await ctx.refresh();
        ctx.go("till");
      });
    float.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        void open();
      }
    });
    el.append(h("label", {}, t("float"), float), h("button", { id: "open-shift", class: "primary", onclick: () => void open() }, t("open_shift")));
    return { el, defaultField: () => float };
  }

  const s = ctx.session.shift;
  const counted = TENDERS.map((k) => h("input", { id: `counted-${k}`, "data-kind": k, inputmode: "decimal", autocomplete: "off", value: "" }));
  const blind = h("input", { id: "blind-close", type: "checkbox" });
  const cash = (outOfDrawer: boolean) =>
    guarded(async () => {
      const amount = await prompt(t("amount"), { id: "cash-amount" });
      if (!amount) return;
      const reason = await prompt(t("reason"), { id: "cash-reason" });
      if (!reason) return;
      const d = await withManager((pin) => api.cashMovement(outOfDrawer, amount, reason, pin));
      if (d) toast(t("done_number", { n: d.number }));
    });
  el.append(
    h("p", { id: "shift-info" }, t("shift_open_by", { at: s.opened_at, who: s.opened_by, float: s.float })),
    h(
      "div",
      { class: "row actions" },
      h("button", { id: "cash-in", onclick: () => void cash(false) }, t("cash_in")),
      h("button", { id: "cash-out", onclick: () => void cash(true) }, t("cash_out")),
      h(
        "button",
        {
          id: "no-sale",
          onclick: () =>
            void guarded(async () => {
              const reason = await prompt(t("reason"), { id: "cash-reason" });
              if (reason === null) return;
              const d = await api.noSale(reason || "no sale");
              toast(t("done_number", { n: d.number }));
            }),
        },
        t("no_sale"),
      ),
      h(
        "button",
        {
          id: "x-report",
          onclick: () =>
            void guarded(async () => {
              clear(out);
              out.append(reportBlock(await api.xReport()));
            }),
        },
        t("x_report"),
      ),
    ),
    h(
      "fieldset",
      { class: "close" },
      h("legend", {}, t("close_shift")),
      TENDERS.map((k, i) => h("label", {}, t("counted", { kind: t(`tender_${k}` as Parameters<typeof t>[0]) }), counted[i])),
      h("label", { class: "check" }, blind, t("blind_close")),
      h(
        "button",
        {
          id: "close-shift",
          class: "primary",
          onclick: () =>
            void guarded(async () => {
              const amounts = TENDERS.map((k, i) => ({ kind: k, amount: counted[i].value.trim() })).filter(
                (a) => a.amount !== "" || a.kind === "cash",
              );
              for (const a of amounts) if (a.amount === "") a.amount = "0";
              const z = await api.closeShift(amounts, blind.checked);
              await ctx.refresh();
              renderStatus();
              clear(el);
              el.append(h("h1", {}, t("nav_shift")), zBlock(z), h("button", { id: "shift-done", class: "primary", onclick: () => ctx.go("shift") }, t("ok")));
            }),
        },
        t("close_shift"),
      ),
    ),
    out,
  );
  return { el, defaultField: () => counted[0] };
});
