// PIN login with an on-screen keypad (touch) and the keyboard / numpad.
import { api } from "../api";
import { register, renderStatus } from "../app";
import { h } from "../dom";
import { t } from "../i18n";
import { showError } from "../ui";

register("login", (ctx) => {
  const pin = h("input", { id: "pin", type: "password", inputmode: "numeric", autocomplete: "off", maxlength: 8 });
  const submit = async () => {
    try {
      ctx.session = await api.login(pin.value);
      pin.value = "";
      renderStatus();
      ctx.go(ctx.session.shift ? "till" : "shift");
    } catch (e) {
      pin.value = "";
      showError(e);
      pin.focus();
    }
  };
  pin.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void submit();
    }
  });
  const key = (label: string, action: () => void, id?: string) =>
    h("button", { class: "key", id, onclick: () => { action(); pin.focus(); } }, label);
  const pad = h(
    "div",
    { class: "keypad" },
    ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((d) => key(d, () => (pin.value += d))),
    key(t("clear"), () => (pin.value = ""), "pin-clear"),
    key("0", () => (pin.value += "0")),
    key(t("login_button"), () => void submit(), "pin-submit"),
  );
  const el = h(
    "section",
    { class: "login" },
    h("h1", {}, t("app_name")),
    h("h2", {}, t("login_title")),
    pin,
    pad,
    ctx.session.demo ? h("p", { class: "hint", id: "demo-hint" }, t("demo_pins")) : null,
  );
  return { el, defaultField: () => pin };
});
