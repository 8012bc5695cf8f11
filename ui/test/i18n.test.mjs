// Every UI string exists in English and Bulgarian, and switching works.
import { test } from "node:test";
import assert from "node:assert/strict";
import { missingTranslations, setLang, t } from "../build-test/i18n.js";

test("every key has both languages", () => {
  assert.deepEqual(missingTranslations(), []);
});

test("switching language changes the strings and fills placeholders", () => {
  setLang("en");
  assert.equal(t("queued_records", { n: 3 }), "3 queued");
  setLang("bg");
  assert.equal(t("queued_records", { n: 3 }), "3 в опашка");
  assert.equal(t("total"), "Общо");
  setLang("en");
});
