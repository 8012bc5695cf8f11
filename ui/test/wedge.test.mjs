// The UI's wedge detector must decide exactly like kasa_drivers::wedge on
// the cases the Rust test exported (ui/test/wedge-cases.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { classify, WedgeDetector } from "../build-test/wedge.js";

const cases = JSON.parse(readFileSync(new URL("./wedge-cases.json", import.meta.url), "utf8"));

test("there are cases to replay", () => {
  assert.ok(cases.length >= 10);
});

for (const c of cases) {
  test(`same decision as the drivers: ${c.name}`, () => {
    assert.deepEqual(classify(c.events), c.expected);
  });
}

test("poll releases a single typed key only after the burst window", () => {
  const d = new WedgeDetector();
  assert.deepEqual(d.push("7", 1000), []);
  assert.deepEqual(d.poll(1040), []);
  assert.deepEqual(d.poll(1051), [{ kind: "typed", text: "7" }]);
  assert.equal(d.isPending(), false);
});

test("poll releases an unterminated scan", () => {
  const d = new WedgeDetector();
  let t = 0;
  for (const ch of "12345678") d.push(ch, (t += 3));
  assert.deepEqual(d.poll(t + 60), [{ kind: "scan", code: "12345678" }]);
});
