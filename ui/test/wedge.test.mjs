// The UI's wedge detector must decide exactly like kasa_drivers::wedge on
// the cases the Rust test exported (ui/test/wedge-cases.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { classify, ReleaseTimer, WedgeDetector } from "../build-test/wedge.js";

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

/** Timers a test drives by hand. */
function fakeTimers() {
  const t = { now: 0, pending: new Map(), next: 1, armed: 0 };
  t.api = {
    set: (fn, ms) => {
      const id = t.next++;
      t.pending.set(id, { fn, at: t.now + ms });
      t.armed++;
      return id;
    },
    clear: (id) => t.pending.delete(id),
    now: () => t.now,
  };
  t.advance = (to) => {
    t.now = to;
    for (const [id, p] of [...t.pending]) {
      if (p.at <= to) {
        t.pending.delete(id);
        p.fn();
      }
    }
  };
  return t;
}

test("no timer runs while the keyboard is idle", () => {
  const t = fakeTimers();
  const d = new WedgeDetector();
  const out = [];
  const timer = new ReleaseTimer(d, (o) => out.push(...o), t.api);
  timer.rearm();
  assert.equal(timer.isArmed(), false);
  assert.equal(t.armed, 0);
});

test("one timeout releases a typed key after the window, then none is left", () => {
  const t = fakeTimers();
  const d = new WedgeDetector();
  const out = [];
  const timer = new ReleaseTimer(d, (o) => out.push(...o), t.api);
  t.now = 1000;
  d.push("7", t.now);
  timer.rearm();
  assert.equal(timer.isArmed(), true);
  t.advance(1050);
  assert.deepEqual(out, []);
  t.advance(1051);
  assert.deepEqual(out, [{ kind: "typed", text: "7" }]);
  assert.equal(timer.isArmed(), false);
  assert.equal(t.pending.size, 0);
});

test("an unterminated scan is released once, by the timeout after its last key", () => {
  const t = fakeTimers();
  const d = new WedgeDetector();
  const out = [];
  const timer = new ReleaseTimer(d, (o) => out.push(...o), t.api);
  for (const ch of "12345678") {
    t.now += 3;
    d.push(ch, t.now);
    timer.rearm();
  }
  assert.equal(t.pending.size, 1, "each key replaces the timeout");
  t.advance(t.now + 51);
  assert.deepEqual(out, [{ kind: "scan", code: "12345678" }]);
  assert.equal(timer.isArmed(), false);
});
