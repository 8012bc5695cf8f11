// Devices & settings (the sync screen is screens/sync.ts).
import { api } from "../api";
import { register } from "../app";
import { clear, h } from "../dom";
import { getLang, setLang, t, type Lang } from "../i18n";
import { guarded, toast } from "../ui";

register("devices", async (ctx) => {
  let view = await api.devices();
  const el = h("section", { class: "devices" });
  function render() {
    clear(el);
    const lang = h(
      "select",
      { id: "lang" },
      (["en", "bg"] as Lang[]).map((l) => h("option", { value: l, selected: l === getLang() }, l === "en" ? "English" : "Български")),
    );
    lang.addEventListener("change", () => {
      setLang(lang.value as Lang);
      ctx.go("devices");
    });
    const printer = view.devices.find((d) => d.device === "printer");
    const uri = h("input", { id: "printer-uri", autocomplete: "off", value: printer?.uri ?? "" });
    el.append(
      h("h1", {}, t("devices_title")),
      h("label", {}, t("language"), lang),
      h("h2", {}, t("receipt_printer")),
      h("p", { id: "printer-state" }, `${printer?.state ?? ""} ${printer?.detail ?? ""}`),
      h(
        "div",
        { class: "row" },
        uri,
        h("button", { id: "printer-save", onclick: () => void guarded(async () => { view = await api.setPrinter(uri.value.trim() || null); render(); }) }, t("save")),
        h("button", { id: "test-print", onclick: () => void guarded(async () => { const o = await api.testPrint(); toast(t("print_state", { s: o.state })); }) }, t("test_print")),
        h("button", { id: "open-drawer", onclick: () => void guarded(async () => { await api.openDrawer(); toast(t("open_drawer")); }) }, t("open_drawer")),
      ),
      h("h2", {}, t("discovered")),
      view.discovery_error ? h("p", { class: "warn" }, view.discovery_error) : "",
      h(
        "ul",
        { id: "discovered" },
        view.discovered.map((d) =>
          h(
            "li",
            {},
            `${d.label} — ${d.uri} `,
            h("button", { class: "small", onclick: () => void guarded(async () => { view = await api.setPrinter(d.uri); render(); }) }, t("use")),
          ),
        ),
      ),
      h("h2", {}, t("print_jobs")),
      h("ul", { id: "print-jobs" }, view.jobs.map((j) => h("li", {}, `#${j.id} ${j.state}${j.copy ? " COPY" : ""} ${j.error ?? ""}`))),
    );
  }
  render();
  return { el };
});
