// The sync screen: head office, online/offline, the outbox (records and
// documents waiting, the oldest one's age), last sync, the last error, and
// "Sync now". A till that is not enrolled offers "Enrol with head office"
// (address + single-use code). It follows the `sync-status` event live.
import { api } from "../api";
import { onSyncStatus, register, setSyncStatus } from "../app";
import { clear, h } from "../dom";
import { getLang, t } from "../i18n";
import { guarded, toast } from "../ui";
import type { SyncStatusView } from "../generated/types";

function when(at: string | null): string {
  if (!at) return t("never");
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? at : d.toLocaleString(getLang() === "bg" ? "bg-BG" : "en-GB");
}

function age(seconds: number | null): string {
  if (seconds === null) return "";
  if (seconds < 120) return t("age_s", { n: seconds });
  if (seconds < 7200) return t("age_min", { n: Math.floor(seconds / 60) });
  return t("age_h", { n: Math.floor(seconds / 3600) });
}

function stateText(s: SyncStatusView): string {
  switch (s.state) {
    case "online":
      return t("online");
    case "not_enrolled":
      return t("not_enrolled");
    case "never_synced":
      return t("never_synced");
    default:
      return t("offline");
  }
}

register("sync", async () => {
  let s = await api.syncStatus();
  setSyncStatus(s);
  const el = h("section", { class: "sync" });
  const url = h("input", { id: "enrol-url", autocomplete: "off", placeholder: "http://192.168.1.10:8080" });
  const code = h("input", { id: "enrol-code", autocomplete: "off", placeholder: "ABCD-EFGH-JKLM" });
  const enrol = () =>
    void guarded(async () => {
      s = await api.syncEnrol(url.value.trim(), code.value.trim());
      setSyncStatus(s);
      toast(t("enrolled_ok"));
    });
  code.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      enrol();
    }
  });
  const row = (label: string, id: string, value: string, cls = "") =>
    h("div", { class: "row" }, h("span", {}, label), h("span", { id, class: cls }, value));

  function render() {
    const focused = document.activeElement;
    clear(el);
    el.append(
      h("h1", {}, t("sync_title")),
      row(
        t("head_office"),
        "sync-server",
        s.server_url ? `${s.server_url} (${t("terminal_n", { t: s.terminal_id ?? "?" })})` : t("not_enrolled"),
      ),
      h(
        "div",
        { class: "row" },
        h("span", {}, t("sync_state")),
        h("span", { id: "sync-online", class: s.online ? "ok" : "warn", "data-state": s.state }, stateText(s)),
      ),
      row(t("outbox"), "sync-queued", String(s.queued)),
      row(t("documents_waiting"), "sync-documents", String(s.documents_queued)),
      row(
        t("oldest_unsynced"),
        "sync-oldest",
        s.oldest_unsynced_at ? `${when(s.oldest_unsynced_at)} (${age(s.oldest_unsynced_age_seconds)})` : "—",
      ),
      row(t("last_sync"), "sync-last", when(s.last_sync_at)),
      row(t("last_attempt"), "sync-attempt", when(s.last_attempt_at)),
      row(
        t("sync_loop"),
        "sync-loop",
        s.running ? t("sync_loop_on", { n: s.rounds, f: s.consecutive_failures }) : t("sync_loop_off"),
      ),
      row(
        t("errors"),
        "sync-error",
        s.last_error_code ? `[${s.last_error_code}] ${s.last_error ?? ""} ${s.last_error_at ? when(s.last_error_at) : ""}`.trim() : "—",
        s.last_error_code ? "warn" : "",
      ),
      h(
        "div",
        { class: "row" },
        h(
          "button",
          {
            id: "sync-now",
            disabled: !s.enrolled,
            onclick: () =>
              void guarded(async () => {
                s = await api.syncNow();
                setSyncStatus(s);
                toast(s.last_error_code ? `${s.last_error_code}: ${s.last_error ?? ""}` : t("synced_ok"), s.last_error_code ? "error" : "info");
              }),
          },
          t("sync_now"),
        ),
      ),
    );
    if (!s.enrolled) {
      el.append(
        h("h2", {}, t("enrol_title")),
        h("p", { class: "hint" }, t("enrol_hint")),
        h("label", {}, t("server_url"), url),
        h("label", {}, t("enrol_code"), code),
        h("div", { class: "row" }, h("button", { id: "enrol-submit", onclick: enrol }, t("enrol"))),
      );
    }
    // a live update re-renders while the manager types: keep the field
    if (focused === url || focused === code) (focused as HTMLInputElement).focus();
  }

  render();
  const unsubscribe = onSyncStatus((next) => {
    s = next;
    render();
  });
  return {
    el,
    dispose: unsubscribe,
    defaultField: () => (s.enrolled ? null : url),
  };
});
