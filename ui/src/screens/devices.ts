// Devices & settings: language; the receipt printer, cash drawer, serial
// scanner and scale chosen from what discovery finds or typed as a URI,
// saved to <data-dir>/devices.json and applied at once; each device's
// state (live from `device-status` events); test print, open drawer, weigh.
import { api, isApiError, listen } from "../api";
import { register } from "../app";
import { clear, h } from "../dom";
import { getLang, setLang, t, type Key, type Lang } from "../i18n";
import { guarded, prompt, showError, toast, withManager } from "../ui";
import type { DeviceChoicesView, DeviceSettingsView, DeviceStatusView, SaleView } from "../generated/types";

type Role = "printer" | "drawer" | "scanner" | "scale";
const ROLES: Role[] = ["printer", "drawer", "scanner", "scale"];

const live = new Map<string, DeviceStatusView>();
let listening = false;

function stateText(d: DeviceStatusView | undefined): string {
  if (!d) return "";
  const key = `state_${d.state}` as Key;
  let label: string;
  try {
    label = t(key);
  } catch {
    label = d.state;
  }
  return d.detail ? `${label} — ${d.detail}` : label;
}

function showState(d: DeviceStatusView) {
  const cell = document.getElementById(`state-${d.device}`);
  if (cell) {
    cell.textContent = stateText(d);
    cell.dataset.state = d.state;
  }
}

register("devices", async (ctx) => {
  if (!listening) {
    listening = true;
    listen<DeviceStatusView>("device-status", (d) => {
      live.set(d.device, d);
      showState(d);
    });
  }
  let view: DeviceSettingsView = await api.deviceSettings();
  const el = h("section", { class: "devices" });

  function render() {
    clear(el);
    const c = view.choices;
    const input = (id: string, value: string | null, placeholder = t("device_uri_hint")) =>
      h("input", { id, autocomplete: "off", value: value ?? "", placeholder, style: "min-width: 24em" });
    const printer = input("printer-uri", c.printer);
    const scanner = input("scanner-uri", c.scanner);
    const scale = input("scale-uri", c.scale);
    const drawerUri = input("drawer-uri", c.drawer_uri);
    const drawerHex = input("drawer-hex", c.drawer_open_hex, t("drawer_open_hex"));
    const drawerKind = h(
      "select",
      { id: "drawer-kind" },
      (["none", "printer", "serial"] as const).map((k) => h("option", { value: k, selected: k === c.drawer_kind }, t(`drawer_${k}`))),
    );
    // The port and bytes matter only for a drawer on its own serial port.
    const showSerialDrawer = () => {
      drawerUri.hidden = drawerHex.hidden = drawerKind.value !== "serial";
    };
    drawerKind.addEventListener("change", showSerialDrawer);
    showSerialDrawer();
    const protocol = h(
      "select",
      { id: "scale-protocol" },
      ["toledo", "cas"].map((p) => h("option", { value: p, selected: p === c.scale_protocol }, p === "toledo" ? "Toledo" : "CAS")),
    );
    const fields: Record<Role, HTMLElement[]> = {
      printer: [printer],
      drawer: [drawerKind, drawerUri, drawerHex],
      scanner: [scanner],
      scale: [scale, protocol],
    };
    const choices = (): DeviceChoicesView => ({
      printer: printer.value.trim() || null,
      scanner: scanner.value.trim() || null,
      drawer_kind: drawerKind.value,
      drawer_uri: drawerUri.value.trim() || null,
      drawer_open_hex: drawerHex.value.trim() || null,
      scale: scale.value.trim() || null,
      scale_protocol: protocol.value,
    });
    const save = () =>
      guarded(async () => {
        // A cashier needs a manager's approval to change the devices.
        const saved = await withManager((pin) => api.saveDevices(choices(), pin));
        if (saved === null) return;
        view = saved;
        live.clear();
        toast(t("devices_saved"));
        render();
      });
    // Keyboard: Enter in any device field saves.
    for (const f of [printer, scanner, scale, drawerUri, drawerHex])
      f.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          void save();
        }
      });
    const weight = h("span", { id: "scale-weight" }, "");
    const lang = h(
      "select",
      { id: "lang" },
      (["en", "bg"] as Lang[]).map((l) => h("option", { value: l, selected: l === getLang() }, l === "en" ? "English" : "Български")),
    );
    lang.addEventListener("change", () => {
      setLang(lang.value as Lang);
      ctx.go("devices");
    });
    const stateOf = (role: Role) => live.get(role) ?? view.devices.find((d) => d.device === role);
    const useAs = (role: Role, uri: string) => {
      if (role === "drawer") {
        drawerKind.value = "serial";
        drawerUri.value = uri;
      } else ({ printer, scanner, scale })[role].value = uri;
      void save();
    };
    el.append(
      h("h1", {}, t("devices_title")),
      h("label", {}, t("language"), lang),
      h(
        "table",
        { class: "device-table", id: "device-table" },
        ROLES.map((role) =>
          h(
            "tr",
            { "data-device": role },
            h("th", {}, t(`device_${role}`)),
            h("td", { class: "device-fields" }, fields[role]),
            h("td", { id: `state-${role}`, class: "device-state", "data-state": stateOf(role)?.state ?? "" }, stateText(stateOf(role))),
          ),
        ),
      ),
      h(
        "div",
        { class: "row" },
        h("button", { id: "devices-save", class: "primary", onclick: () => void save() }, t("save")),
        h("button", { id: "test-print", onclick: () => void guarded(async () => { const o = await api.deviceTestPrint(); toast(t("print_state", { s: o.state })); }) }, t("test_print")),
        h("button", { id: "open-drawer", onclick: () => void guarded(async () => { await api.deviceOpenDrawer(); toast(t("drawer_opened")); }) }, t("open_drawer")),
        h(
          "button",
          {
            id: "scale-weigh",
            onclick: () =>
              void guarded(async () => {
                const w = await api.readScale();
                weight.textContent = t("weight_kg", { kg: w.kg });
              }),
          },
          t("weigh"),
        ),
        weight,
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
            (d.kind === "serial" ? (["printer", "drawer", "scanner", "scale"] as Role[]) : (["printer"] as Role[])).map((role) =>
              h("button", { class: "small", "data-use": role, onclick: () => useAs(role, d.uri) }, t(`use_as_${role}`)),
            ),
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

/**
 * The till's scan (hooked into till.ts's add): with a typed quantity it is
 * the ordinary scan; without one, a weighed product takes its weight from
 * the scale (`scan_weighed`). When the scale cannot give a weight the
 * error is shown and the cashier types the weight instead (keyboard-first).
 */
export async function scanWithScale(code: string, qty: string | null): Promise<SaleView> {
  if (qty !== null) return api.scan(code, qty);
  try {
    return await api.scanWeighed(code);
  } catch (e) {
    if (!isApiError(e) || !e.code.startsWith("scale.")) throw e;
    showError(e);
    const typed = await prompt(t("type_weight", { code }), { id: "weight-input" });
    if (!typed) throw e;
    return api.scan(code, typed);
  }
}
