// End-to-end scenarios of the real Kasa desktop app (the Tauri binary)
// driven over WebDriver by WebKitWebDriver. Run by e2e/run.sh, which
// starts Xvfb and the driver. Each step asserts; the first failure stops
// the run with a non-zero exit (steps build on each other: one till day).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { WebDriver, until } from "./webdriver.mjs";
import { HUMAN_MS, Steps } from "./steps.mjs";

const APP = process.env.KASA_APP;
const DATA_DIR = process.env.KASA_DATA_DIR;
const DRIVER = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4445";
const SCANNER = process.env.KASA_E2E_SCANNER ?? "xdotool";

const d = new WebDriver(DRIVER);
const steps = new Steps(d, new URL(import.meta.url), "failure-");
const { results } = steps;
const step = (name, f) => steps.step(name, f);
const shot = (name) => steps.shot(name);
const cents = (s) => Math.round(Number(String(s).replace(/[^\d.-]/g, "")) * 100);
const fmt = (c) => (c / 100).toFixed(2);

/** A person types: one key every 100 ms (never mistaken for a scan). */
async function typeHuman(css, text) {
  await d.click(css);
  await d.keys(text, HUMAN_MS);
}

/** A keyboard-wedge scanner: a burst of keys 2 ms apart ending in Enter. */
async function scan(code) {
  if (SCANNER === "xdotool") execFileSync("xdotool", ["type", "--delay", "2", `${code}\n`]);
  else await d.keys(`${code}\n`, 0);
}

const rows = () =>
  d.exec(`return [...document.querySelectorAll('#lines tr[data-line]')].map(r => ({
    line: Number(r.dataset.line), sku: r.dataset.sku,
    qty: r.querySelector('.qty').textContent.trim(),
    discount: r.querySelector('.discount').textContent.trim(),
    total: r.querySelector('.line-total').textContent.trim() }))`);
const waitRows = (n) =>
  d.waitFor(`${n} sale lines`, "return document.querySelectorAll('#lines tr[data-line]').length === arguments[0];", [n]);
const textOf = (css) => d.exec("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", [css]);

/** Call a shell command from the page (what the UI's api.ts does). */
const invoke = (cmd, args = {}) =>
  d.execAsync(
    "const done = arguments[arguments.length - 1]; window.__TAURI__.core.invoke(arguments[0], arguments[1]).then(done, (e) => done({ invokeError: e }));",
    [cmd, args],
  );


const state = {};

async function main() {
  const t0 = Date.now();
  await d.start({ "webkitgtk:browserOptions": { binary: APP, args: ["--demo", "--data-dir", DATA_DIR] } });
  await d.waitFor("the app to be ready", "return document.body.dataset.ready === '1';", [], 15000);
  state.coldStartMs = Date.now() - t0;
  console.log(`cold start to interactive login (WebDriver session + app): ${state.coldStartMs} ms`);
  if (SCANNER === "xdotool") execFileSync("xdotool", ["mousemove", "400", "300"]);

  await step("log in with a PIN", async () => {
    await d.waitVisible("#pin");
    assert.ok(await textOf("#demo-hint"), "demo mode shows the demo PINs");
    await shot("01-login");
    await d.click("#pin");
    await d.keys("1111", 0);
    await d.press("Enter");
    await d.waitVisible("#float");
    assert.match(await textOf("#status-user"), /cashier/);
  });

  await step("open the shift with a float", async () => {
    await typeHuman("#float", "100");
    await d.press("Enter");
    await d.waitVisible("#entry");
    assert.doesNotMatch(await textOf("#status-shift"), /No shift/);
  });

  await step("scan three products including a weighed one", async () => {
    await d.click("#entry");
    await scan("3800010000000");
    await waitRows(1);
    await scan("3800010000017");
    await waitRows(2);
    // In-store EAN-13: prefix 21, PLU 00001 (tomatoes, per kg), 1.234 kg.
    await scan("2100001012342");
    await waitRows(3);
    const r = await rows();
    assert.equal(r[0].sku, "000001");
    assert.equal(r[1].sku, "000002");
    assert.match(r[2].qty, /^1\.234/);
    const sum = r.reduce((s, l) => s + cents(l.total), 0);
    assert.equal(cents(await textOf("#total")), sum, "total is the sum of the lines");
    assert.equal(await d.exec("return document.getElementById('entry').value;"), "", "the scan was not typed into the entry field");
    state.totalBeforeDiscount = sum;
    await shot("02-till");
  });

  await step("line discount", async () => {
    await d.click('#lines tr[data-line="1"] td.name');
    await d.press("F3");
    await d.waitVisible("#discount-input");
    await d.keys("5", HUMAN_MS);
    await d.press("Enter");
    await d.waitFor("a discount on line 1", "const c = document.querySelector('#lines tr[data-line=\"1\"] .discount'); return c && c.textContent.trim() !== '';");
    const r = await rows();
    const disc = -cents(r[0].discount);
    assert.ok(disc > 0, "line 1 shows its discount");
    const total = cents(await textOf("#total"));
    assert.equal(total, state.totalBeforeDiscount - disc);
    assert.equal(total, r.reduce((s, l) => s + cents(l.total), 0));
    state.lines = r;
    state.total = total;
  });

  await step("pay cash with change", async () => {
    await d.press("F12");
    await d.waitVisible("#tender-amount");
    assert.equal(cents(await textOf("#pay-total")), state.total);
    await shot("03-payment");
    await d.click("#tender-amount");
    await d.keys("20", HUMAN_MS);
    await d.press("Enter");
    await d.waitVisible("#receipt-change");
    assert.equal(cents(await textOf("#receipt-change")), 2000 - state.total);
    state.saleNumber = await d.exec("return document.getElementById('receipt-title').dataset.number;");
    assert.match(state.saleNumber, /^\d{10}$/);
    await shot("04-receipt");
  });

  await step("receipt bytes arrive at the printer simulator with the right total", async () => {
    const dir = join(DATA_DIR, "printer-sim");
    const found = await until(`a printed job with receipt ${state.saleNumber} in ${dir}`, 10000, () => {
      let files = [];
      try {
        files = readdirSync(dir).filter((f) => f.endsWith(".txt"));
      } catch {}
      for (const f of files) {
        const text = readFileSync(join(dir, f), "utf8");
        if (text.includes(state.saleNumber)) return { f, text };
      }
      return null;
    });
    const totalLine = found.text.split("\n").find((l) => l.includes("TOTAL"));
    assert.ok(totalLine, "the receipt has a TOTAL line");
    assert.ok(totalLine.includes(fmt(state.total)), `TOTAL line "${totalLine}" shows ${fmt(state.total)}`);
    const bin = readFileSync(join(dir, found.f.replace(/\.txt$/, ".bin")));
    assert.ok(bin.includes(Buffer.from([0x1d, 0x56])), "the ESC/POS bytes end with a cut (GS V)");
  });

  await step("the sale reaches a running head-office server", async () => {
    // the --demo head office runs inside the app; its address is the till's
    // enrolment, its admin token is in the data directory (mode 0600)
    const tokenFile = join(DATA_DIR, "head-office", "admin-token");
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600, "the admin token is private");
    const token = readFileSync(tokenFile, "utf8").trim();
    const sync = await invoke("sync_status");
    assert.ok(sync.enrolled && sync.server_url, `the demo till is enrolled (${JSON.stringify(sync)})`);
    const report = async () => {
      const res = await fetch(`${sync.server_url}/admin/v1/tenants/demo/reports/sales`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, `the admin API answers (${res.status})`);
      return res.json();
    };
    // head office reports the day's sales: this till's one cash sale, its total
    const rows = await until("head office to report the sale", 20000, async () => {
      const r = await report();
      return r.some((row) => row.terminal_id === sync.terminal_id && row.documents > 0) ? r : null;
    });
    assert.equal(rows.length, 1, `one sales row (${JSON.stringify(rows)})`);
    assert.equal(rows[0].tender, "cash");
    assert.equal(rows[0].documents, 1);
    assert.equal(cents(rows[0].amount), state.total, `head office's cash total ${rows[0].amount} is the sale's ${fmt(state.total)}`);
    await d.waitFor(
      "the status bar to show online and 0 queued",
      "return document.getElementById('status-online').dataset.state === 'online' && document.getElementById('status-queued').dataset.queued === '0';",
      [],
      10000,
    );
    assert.match(await textOf("#status-online"), /Online/);
    assert.match(await textOf("#status-queued"), /^0 /);
  });

  await step("return one line of that sale", async () => {
    await d.click("#nav-returns");
    await d.waitVisible("#return-number");
    await d.click("#return-number");
    await scan(state.saleNumber); // the receipt's barcode
    await d.waitVisible(".return-qty");
    await d.exec("document.querySelector('.return-qty[data-line=\"2\"]').value = '';");
    await typeHuman('.return-qty[data-line="2"]', "1");
    await shot("05-returns");
    await d.click("#return-submit");
    await d.waitFor("the return receipt", "const e = document.getElementById('receipt-title'); return e && e.dataset.kind === 'return';");
    const refund = cents(await d.exec("return document.getElementById('receipt-preview').textContent.split('\\n').find(l => l.includes('REFUND'));"));
    assert.equal(refund, cents(state.lines[1].total), "refund equals line 2's total");
    state.refund = refund;
  });

  await step("void a sale — needs a manager", async () => {
    await d.click("#nav-till");
    await d.waitVisible("#entry");
    await d.click("#entry");
    await scan("3800010000000");
    await waitRows(1);
    await d.press("F7");
    await d.waitVisible("#dialog-ok");
    await d.press("Enter");
    await d.waitVisible("#manager-pin");
    assert.match(await textOf(".dialog h2"), /void_sale|manager/i);
    await shot("06-manager-approval");
    await d.keys("9999", HUMAN_MS);
    await d.press("Enter");
    await d.waitFor("the empty till", "return document.querySelectorAll('#lines tr[data-line]').length === 0;");
  });

  await step("stock count with a variance approved by a manager", async () => {
    await d.click("#nav-count");
    await d.waitVisible("#count-start");
    await d.click("#count-start");
    await d.waitVisible("#count-code");
    await d.click("#count-code");
    await scan("3800010000017");
    await d.waitVisible('#count-entries tr[data-sku="000002"]');
    await d.click("#count-review-btn");
    await d.waitVisible("#count-review");
    const variance = await d.exec("const r = document.querySelector('#count-review tr[data-sku=\"000002\"]'); return r ? r.children[3].textContent : null;");
    assert.ok(variance && variance !== "0", `a variance for 000002 (got ${variance})`);
    await shot("07-count-review");
    await d.click("#count-approve");
    await d.waitVisible("#manager-pin");
    await d.keys("9999", HUMAN_MS);
    await d.press("Enter");
    await d.waitVisible("#count-approved");
  });

  await step("sync status and devices screens", async () => {
    await d.click("#nav-sync");
    await d.waitVisible("#sync-queued");
    // sale, return, void, count… were each sent right after they were written
    await d.waitFor("an empty outbox on the sync screen", "return document.getElementById('sync-queued').textContent === '0' && document.getElementById('sync-online').dataset.state === 'online';", [], 15000);
    assert.match(await textOf("#sync-server"), /^http:\/\/127\.0\.0\.1:\d+ /);
    assert.equal(await textOf("#sync-error"), "—");
    assert.notEqual(await textOf("#sync-last"), "never");
    await shot("08-sync");
    await d.click("#nav-devices");
    await d.waitVisible("#printer-uri");
    await d.waitFor("the printer to be ready", "return /ready/.test(document.getElementById('status-printer').textContent);", [], 6000);
    await shot("09-devices");
  });

  await step("the till at 1920×1080", async () => {
    await d.cmd("POST", "/window/rect", { width: 1920, height: 1080 });
    await d.click("#nav-till");
    await d.waitVisible("#entry");
    await d.click("#entry");
    await scan("3800010000000");
    await waitRows(1);
    const wide = await d.exec("return [window.innerWidth, document.querySelector('.fkeys button').getBoundingClientRect().height];");
    assert.ok(wide[0] >= 1800, `window is wide (${wide[0]} px)`);
    assert.ok(wide[1] >= 56, `touch targets stay large (${wide[1]} px)`);
    await shot("11-till-1920x1080");
    await d.press("F8"); // park it so the shift can close
    await d.waitVisible("#park-label");
    await d.press("Enter");
    await waitRows(0);
    await d.cmd("POST", "/window/rect", { width: 1024, height: 768 });
  });

  await step("close the shift with a variance", async () => {
    await d.click("#nav-shift");
    await d.waitVisible("#counted-cash");
    await typeHuman("#counted-cash", "100");
    await d.click("#close-shift");
    await d.waitVisible("#z-report");
    const cash = await d.exec("const r = document.querySelector('#z-report tr[data-kind=\"cash\"]'); return [...r.children].map(c => c.textContent);");
    const [, expected, counted, variance] = cash;
    assert.equal(cents(counted), 10000);
    assert.equal(cents(expected), 10000 + state.total - state.refund, "expected cash = float + sale − refund");
    assert.equal(cents(variance), cents(counted) - cents(expected));
    assert.notEqual(cents(await textOf("#z-total-variance")), 0);
    await shot("10-shift-close");
  });
}

let failed = false;
try {
  await main();
} catch {
  failed = true;
} finally {
  await d.quit().catch(() => {});
}
writeFileSync(join(steps.shots, "..", "results.json"), JSON.stringify({ results, ...state }, null, 2));
steps.finish(failed);
