// The sync screen: head office, outbox, last sync, errors.
import { api } from "../api";
import { register, setSyncStatus } from "../app";
import { h } from "../dom";
import { t } from "../i18n";

register("sync", async () => {
  const s = await api.syncStatus();
  setSyncStatus(s);
  const row = (label: string, value: string, id: string) => h("div", { class: "row" }, h("span", {}, label), h("span", { id }, value));
  const el = h(
    "section",
    { class: "sync" },
    h("h1", {}, t("sync_title")),
    row(t("online"), s.online ? t("online") : t("offline"), "sync-online"),
    row(t("outbox"), String(s.queued), "sync-queued"),
    row(t("oldest_unsynced"), s.oldest_unsynced_at ?? "—", "sync-oldest"),
    row(t("last_sync"), s.last_sync_at ?? t("never"), "sync-last"),
    row(t("errors"), s.last_error ?? "—", "sync-error"),
  );
  return { el };
});
