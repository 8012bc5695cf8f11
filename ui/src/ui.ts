// Toasts and modal dialogs (prompt, confirm, pick from a list, manager
// approval). Enter confirms, Esc cancels; while a dialog is open, wedge
// scans are refused instead of being typed into it.
import { api, isApiError, needsManager } from "./api";
import { clear, h } from "./dom";
import { t } from "./i18n";
import type { ApiError } from "./generated/types";

let toastTimer: number | undefined;

export function toast(message: string, kind: "info" | "error" = "info") {
  const el = document.getElementById("toast")!;
  el.textContent = message;
  el.className = kind;
  el.hidden = false;
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (el.hidden = true), kind === "error" ? 6000 : 2500);
}

export function showError(e: unknown) {
  if (isApiError(e)) {
    const known: Record<string, Parameters<typeof t>[0]> = {
      "user.wrong_pin": "err_wrong_pin",
      "shift.no_open_shift": "err_no_shift",
    };
    const key = known[e.code];
    toast(key ? `${t(key)} (${e.message})` : e.message, "error");
  } else {
    toast(String(e), "error");
  }
}

export function modalOpen(): boolean {
  return document.getElementById("modal-root")!.childElementCount > 0;
}

function modal(build: (close: (v: string | null) => void) => HTMLElement, focus?: string): Promise<string | null> {
  const root = document.getElementById("modal-root")!;
  const previous = document.activeElement as HTMLElement | null;
  return new Promise((resolve) => {
    const close = (v: string | null) => {
      clear(root);
      previous?.focus();
      resolve(v);
    };
    const box = build(close);
    const backdrop = h("div", { class: "backdrop" }, box);
    backdrop.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close(null);
      }
    });
    root.append(backdrop);
    (box.querySelector(focus ?? "input, button") as HTMLElement | null)?.focus();
  });
}

export function prompt(title: string, opts: { value?: string; type?: string; id?: string } = {}): Promise<string | null> {
  return modal((close) => {
    const input = h("input", {
      id: opts.id ?? "dialog-input",
      type: opts.type ?? "text",
      value: opts.value ?? "",
      inputmode: opts.type === "password" ? "numeric" : undefined,
      autocomplete: "off",
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        close(input.value);
      }
    });
    return h(
      "div",
      { class: "dialog", role: "dialog", "aria-label": title },
      h("h2", {}, title),
      input,
      h(
        "div",
        { class: "row" },
        h("button", { id: "dialog-ok", class: "primary", onclick: () => close(input.value) }, t("ok")),
        h("button", { id: "dialog-cancel", onclick: () => close(null) }, t("cancel")),
      ),
    );
  });
}

export async function confirm(title: string): Promise<boolean> {
  const v = await modal(
    (close) =>
      h(
        "div",
        { class: "dialog", role: "dialog", "aria-label": title },
        h("h2", {}, title),
        h(
          "div",
          { class: "row" },
          h("button", { id: "dialog-ok", class: "primary", onclick: () => close("yes") }, t("ok")),
          h("button", { id: "dialog-cancel", onclick: () => close(null) }, t("cancel")),
        ),
      ),
    "#dialog-ok",
  );
  return v === "yes";
}

export function pick(title: string, items: { id: string; label: string }[]): Promise<string | null> {
  return modal((close) =>
    h(
      "div",
      { class: "dialog", role: "dialog", "aria-label": title },
      h("h2", {}, title),
      items.length === 0 ? h("p", {}, t("no_parked")) : null,
      h(
        "div",
        { class: "list" },
        items.map((i) => h("button", { class: "list-item", "data-id": i.id, onclick: () => close(i.id) }, i.label)),
      ),
      h("button", { id: "dialog-cancel", onclick: () => close(null) }, t("cancel")),
    ),
  );
}

/** Ask a manager for their PIN. */
export function managerPin(what: string): Promise<string | null> {
  return prompt(t("manager_needed", { what }), { type: "password", id: "manager-pin" });
}

/**
 * Run `action` without approval; when the till says a manager must
 * approve, ask for the manager's PIN and run it again with it.
 */
export async function withManager<R>(action: (pin: string | null) => Promise<R>): Promise<R | null> {
  try {
    return await action(null);
  } catch (e) {
    if (!needsManager(e)) throw e;
    const err = e as ApiError;
    const pin = await managerPin(err.permission ?? err.message);
    if (pin === null) return null;
    return await action(pin);
  }
}

export async function guarded<R>(f: () => Promise<R>): Promise<R | undefined> {
  try {
    return await f();
  } catch (e) {
    showError(e);
    return undefined;
  }
}

export { api };
