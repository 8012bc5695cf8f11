// The shell of the UI: screens, navigation, status bar, and the global
// keyboard-wedge router.
import { api, listen } from "./api";
import { clear, h } from "./dom";
import { t } from "./i18n";
import { modalOpen, toast } from "./ui";
import { ReleaseTimer, WedgeDetector } from "./wedge";
import type { DeviceStatusView, SessionView, SyncStatusView } from "./generated/types";

export type ScreenName =
  | "login"
  | "till"
  | "payment"
  | "receipt"
  | "returns"
  | "shift"
  | "count"
  | "receiving"
  | "sync"
  | "devices";

export interface Screen {
  el: HTMLElement;
  /** A wedge or serial scan while this screen is shown. */
  onScan?(code: string): void;
  /** F-keys and other shortcuts; return true when handled. */
  onKey?(e: KeyboardEvent): boolean;
  /** The field typed characters go to when nothing is focused. */
  defaultField?(): HTMLInputElement | null;
  dispose?(): void;
}

export interface Ctx {
  session: SessionView;
  go(name: ScreenName): void;
  refresh(): Promise<void>;
}

type Factory = (ctx: Ctx) => Screen | Promise<Screen>;
const factories = new Map<ScreenName, Factory>();

export function register(name: ScreenName, f: Factory) {
  factories.set(name, f);
}

const status = {
  sync: null as SyncStatusView | null,
  printer: null as DeviceStatusView | null,
};

let current: { name: ScreenName; screen: Screen } | null = null;

export const ctx: Ctx = {
  session: {
    user: null,
    shift: null,
    store_id: "",
    terminal_id: "",
    currency: "",
    discount_limit_percent: "",
    demo: false,
  },
  go: (name) => void show(name),
  refresh: async () => {
    ctx.session = await api.session();
    renderStatus();
    renderNav();
  },
};

async function show(name: ScreenName) {
  if (name !== "login" && !ctx.session.user) name = "login";
  const f = factories.get(name)!;
  current?.screen.dispose?.();
  const screen = await f(ctx);
  const app = document.getElementById("app")!;
  clear(app);
  app.append(screen.el);
  app.dataset.screen = name;
  current = { name, screen };
  renderNav();
  (screen.defaultField?.() ?? (screen.el.querySelector("input, button") as HTMLElement | null))?.focus();
}

function stateLabel(s: string): string {
  const key = `state_${s}` as Parameters<typeof t>[0];
  try {
    return t(key);
  } catch {
    return s;
  }
}

export function renderStatus() {
  const bar = document.getElementById("statusbar")!;
  clear(bar);
  const sync = status.sync;
  const online = sync?.online ?? false;
  const forked = sync?.state === "forked";
  const syncLabel = forked
    ? `${t("sync_forked")} [${sync?.last_error_code ?? ""}]`
    : online
      ? t("online")
      : sync?.state === "not_enrolled"
        ? t("offline_not_enrolled")
        : t("offline");
  bar.append(
    h(
      "span",
      { id: "status-online", class: forked ? "error" : online ? "ok" : "warn", "data-state": sync?.state ?? "unknown", title: sync?.last_error ?? "" },
      syncLabel,
    ),
    h("span", { id: "status-queued", "data-queued": String(sync?.queued ?? 0) }, t("queued_records", { n: sync?.queued ?? 0 })),
    h(
      "span",
      { id: "status-printer", class: status.printer?.state === "ready" ? "ok" : "warn" },
      `${t("printer")}: ${stateLabel(status.printer?.state ?? "not_configured")}`,
    ),
    h(
      "span",
      { id: "status-shift" },
      ctx.session.shift ? `${t("shift")}: ${ctx.session.shift.opened_by} ${ctx.session.shift.opened_at.slice(11, 16)}` : t("no_shift"),
    ),
    h("span", { id: "status-user" }, ctx.session.user ? `${ctx.session.user.name} (${ctx.session.user.role})` : "—"),
    h("span", { class: "store" }, `${ctx.session.store_id}/${ctx.session.terminal_id}`),
  );
}

function renderNav() {
  const nav = document.getElementById("nav")!;
  clear(nav);
  if (!ctx.session.user || current?.name === "login") return;
  const items: [ScreenName, Parameters<typeof t>[0]][] = [
    ["till", "nav_till"],
    ["returns", "nav_returns"],
    ["shift", "nav_shift"],
    ["count", "nav_count"],
    ["receiving", "nav_receiving"],
    ["sync", "nav_sync"],
    ["devices", "nav_devices"],
  ];
  for (const [name, key] of items) {
    nav.append(
      h(
        "button",
        { id: `nav-${name}`, class: current?.name === name ? "active" : "", onclick: () => ctx.go(name) },
        t(key),
      ),
    );
  }
  nav.append(
    h(
      "button",
      {
        id: "nav-logout",
        onclick: async () => {
          ctx.session = await api.logout();
          renderStatus();
          ctx.go("login");
        },
      },
      t("logout"),
    ),
  );
}

// --- keyboard wedge -------------------------------------------------------

const detector = new WedgeDetector();
let replaying = false;

function insertTyped(text: string) {
  let el = document.activeElement as HTMLElement | null;
  for (const ch of text) {
    if (ch === "\r" || ch === "\n") {
      replaying = true;
      try {
        if (el instanceof HTMLButtonElement) el.click();
        else el?.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, cancelable: true }));
      } finally {
        replaying = false;
      }
      el = document.activeElement as HTMLElement | null;
      continue;
    }
    if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) || el.type === "checkbox") {
      if (ch === " " && (el instanceof HTMLButtonElement || (el instanceof HTMLInputElement && el.type === "checkbox"))) {
        el.click();
        continue;
      }
      const field = current?.screen.defaultField?.() ?? null;
      if (!field || modalOpen()) continue;
      field.focus();
      el = field;
    }
    const input = el as HTMLInputElement;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    input.setRangeText(ch, start, end, "end");
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

function route(outputs: ReturnType<WedgeDetector["push"]>) {
  for (const o of outputs) {
    if (o.kind === "typed") insertTyped(o.text);
    else if (modalOpen()) toast(t("scan_ignored"), "error");
    else if (current?.screen.onScan) current.screen.onScan(o.code);
    else toast(t("scan_ignored"), "error");
  }
}

/** A scan from any source (wedge, serial event). */
export function scanned(code: string) {
  route([{ kind: "scan", code }]);
}

function wedgeActive(): boolean {
  return current !== null && current.name !== "login";
}

export function installKeyboard() {
  window.addEventListener(
    "keydown",
    (e) => {
      if (replaying) return;
      if (!wedgeActive() || e.ctrlKey || e.altKey || e.metaKey || e.isComposing) return;
      const printable = e.key.length === 1;
      if (printable || e.key === "Enter") {
        e.preventDefault();
        e.stopPropagation();
        route(detector.push(printable ? e.key : "\r", performance.now()));
        releaseTimer.rearm();
      }
    },
    true,
  );
  window.addEventListener("keydown", (e) => {
    if (replaying || !current || modalOpen()) return;
    if (current.screen.onKey?.(e)) {
      e.preventDefault();
      return;
    }
    if (e.key === "Escape" && current.name !== "till" && current.name !== "login" && current.name !== "receipt") {
      e.preventDefault();
      ctx.go("till");
    }
  });
}

// Releases a burst the scanner did not end with Enter (or a single typed
// key) once its window has passed; no timer runs while nothing is pending.
const releaseTimer = new ReleaseTimer(detector, (out) => route(out), {
  set: (fn, ms) => window.setTimeout(fn, ms),
  clear: (handle) => window.clearTimeout(handle),
  now: () => performance.now(),
});

export async function start() {
  try {
    const thresholds = await api.wedgeThresholds();
    detector.thresholds = thresholds;
  } catch {
    // Defaults are the drivers' defaults.
  }
  ctx.session = await api.session();
  listen<SyncStatusView>("sync-status", setSyncStatus);
  listen<DeviceStatusView>("device-status", (d) => {
    if (d.device === "printer") status.printer = d;
    renderStatus();
  });
  listen<{ code: string }>("scanner-input", (s) => scanned(s.code));
  void api.printerStatus().then((p) => {
    status.printer = p;
    renderStatus();
  });
  void api.syncStatus().then(setSyncStatus);
  installKeyboard();
  renderStatus();
  await show(ctx.session.user ? "till" : "login");
  // For the end-to-end tests and the cold-start measurement.
  (window as unknown as { kasaDebug: unknown }).kasaDebug = { scanned };
  document.body.dataset.ready = "1";
  requestAnimationFrame(() => void api.uiReady().catch(() => undefined));
}

const syncListeners = new Set<(s: SyncStatusView) => void>();

/** Follow the sync status (the `sync-status` event); returns the unsubscribe. */
export function onSyncStatus(cb: (s: SyncStatusView) => void): () => void {
  syncListeners.add(cb);
  return () => syncListeners.delete(cb);
}

export function setSyncStatus(s: SyncStatusView) {
  status.sync = s;
  renderStatus();
  for (const cb of syncListeners) cb(s);
}
