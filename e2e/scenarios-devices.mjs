// End-to-end scenarios of the devices in the real Kasa desktop app: a
// serial scanner and a scale that are pty pairs made with `socat` are
// chosen on the Devices screen; a serial scan rings up a line; a weighed
// product takes its weight from the simulated scale (and, when the scale
// keeps moving, the cashier types it); the drawer opens; a test print
// reaches the printer simulator. Run by e2e/run.sh after scenarios.mjs
// (same env: KASA_APP, KASA_DATA_DIR — a fresh --demo directory —,
// WEBDRIVER_URL). The first failure stops the run with a non-zero exit.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { WebDriver, until } from "./webdriver.mjs";
import { HUMAN_MS, Steps } from "./steps.mjs";

const APP = process.env.KASA_APP;
const DATA_DIR = process.env.KASA_DATA_DIR;
const DRIVER = process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4445";

const d = new WebDriver(DRIVER);
const steps = new Steps(d, new URL(import.meta.url), "failure-devices-");
const { results } = steps;
const step = (name, f) => steps.step(name, f);
const shot = (name) => steps.shot(name);
const textOf = (css) => d.exec("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", [css]);
const rows = () =>
  d.exec(`return [...document.querySelectorAll('#lines tr[data-line]')].map(r => ({
    sku: r.dataset.sku, qty: r.querySelector('.qty').textContent.trim() }))`);
const waitRows = (n, timeoutMs = 5000) =>
  d.waitFor(`${n} sale lines`, "return document.querySelectorAll('#lines tr[data-line]').length === arguments[0];", [n], timeoutMs);


async function typeHuman(css, text) {
  await d.click(css);
  await d.keys(text, HUMAN_MS);
}


// ---- Serial devices on pty pairs (socat), as in kasa_drivers::sim::pty ----
const PTY_DIR = mkdtempSync(join(tmpdir(), "kasa-e2e-pty-"));
const socats = [];

/** A connected pty pair: the app opens `host`, the simulator `device`. */
async function ptyPair(name) {
  const device = join(PTY_DIR, `${name}-device`);
  const host = join(PTY_DIR, `${name}-host`);
  const p = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`], { stdio: ["ignore", "ignore", "pipe"] });
  socats.push(p);
  let log = "";
  p.stderr.on("data", (b) => (log += b));
  await until(`socat to create the ${name} pty pair`, 5000, () => log.includes("starting data transfer loop") && existsSync(device) && existsSync(host));
  return { device, host };
}

/**
 * A Mettler-Toledo "demand" scale (the protocol of kasa_drivers::scale):
 * `W` → STX "kk.ggg" CR when still, else STX '?' status CR; `S` → status.
 * Runs in a child process so its blocking reads never stall this one.
 */
function toledoScale(device, stateFile) {
  const code = `
    const fs = require("fs");
    const fd = fs.openSync(${JSON.stringify(device)}, "r+");
    const buf = Buffer.alloc(64);
    const parity = (s) => { let n = 0; for (let b = s & 0x7f; b; b >>= 1) n += b & 1; return n % 2 ? s | 0x80 : s & 0x7f; };
    for (;;) {
      let n = 0;
      try { n = fs.readSync(fd, buf, 0, 64, null); } catch (e) { if (e.code === "EAGAIN") continue; process.exit(0); }
      for (const c of buf.subarray(0, n)) {
        const { grams, moving } = JSON.parse(fs.readFileSync(${JSON.stringify(stateFile)}, "utf8"));
        const status = parity(0x60 | (moving ? 0x01 : 0));
        let out;
        if (c === 0x57 && !moving) out = Buffer.from("\\x02" + String(Math.floor(grams / 1000)).padStart(2, "0") + "." + String(grams % 1000).padStart(3, "0") + "\\r", "latin1");
        else out = Buffer.from([0x02, 0x3f, status, 0x0d]);
        fs.writeSync(fd, out);
      }
    }`;
  const p = spawn(process.execPath, ["-e", code], { stdio: "inherit" });
  socats.push(p);
  return p;
}

function setScale(stateFile, grams, moving = false) {
  writeFileSync(stateFile, JSON.stringify({ grams, moving }));
}

/** Printer-simulator job files (written when a connection closes). */
function jobFiles(ext) {
  const dir = join(DATA_DIR, "printer-sim");
  try {
    return readdirSync(dir).filter((f) => f.endsWith(ext)).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

const state = {};

async function main() {
  const scanner = await ptyPair("scanner");
  const scale = await ptyPair("scale");
  const scaleState = join(PTY_DIR, "scale.json");
  setScale(scaleState, 0);
  toledoScale(scale.device, scaleState);
  const scannerFd = openSync(scanner.device, "r+");
  state.scanner = scanner.host;
  state.scale = scale.host;

  await d.start({ "webkitgtk:browserOptions": { binary: APP, args: ["--demo", "--data-dir", DATA_DIR] } });
  await d.waitFor("the app to be ready", "return document.body.dataset.ready === '1';", [], 15000);
  execFileSync("xdotool", ["mousemove", "400", "300"]);

  await step("log in and open the shift", async () => {
    await d.waitVisible("#pin");
    await d.click("#pin");
    await d.keys("1111", 0);
    await d.press("Enter");
    await d.waitVisible("#float");
    await typeHuman("#float", "100");
    await d.press("Enter");
    await d.waitVisible("#entry");
  });

  await step("choose the serial scanner and the scale on the Devices screen", async () => {
    await d.click("#nav-devices");
    await d.waitVisible("#scanner-uri");
    // The pty ends are not USB-serial adapters, so discovery does not list
    // them: they are typed as URIs, as a store would for an odd port.
    await d.exec(
      "document.getElementById('scanner-uri').value = arguments[0]; document.getElementById('scale-uri').value = arguments[1]; document.getElementById('scale-protocol').value = 'toledo';",
      [`serial://${scanner.host}?baud=9600`, `serial://${scale.host}?baud=9600`],
    );
    await d.click("#devices-save");
    // The cashier may not change the devices alone: a manager approves.
    await d.waitVisible("#manager-pin");
    await d.keys("9999", HUMAN_MS); // typed, not a scan: a dialog refuses scans
    await d.press("Enter");
    await d.waitFor(
      "the scanner and the scale to be ready",
      "return document.getElementById('state-scanner')?.dataset.state === 'ready' && document.getElementById('state-scale')?.dataset.state === 'ready';",
      [],
      10000,
    );
    const saved = JSON.parse(readFileSync(join(DATA_DIR, "devices.json"), "utf8"));
    assert.equal(saved.scanner, `serial://${scanner.host}?baud=9600`, "devices.json keeps the scanner");
    assert.equal(saved.scale, `serial://${scale.host}?baud=9600`, "devices.json keeps the scale");
    assert.equal(saved.drawer.kind, "printer", "the drawer opens through the printer by default");
    await d.waitFor("the printer to be ready", "return document.getElementById('state-printer')?.dataset.state === 'ready';", [], 8000);
    await shot("09-devices");
  });

  await step("a serial scan rings up a line", async () => {
    await d.click("#nav-till");
    await d.waitVisible("#entry");
    writeSync(scannerFd, "3800010000000\r");
    await waitRows(1);
    const r = await rows();
    assert.equal(r[0].sku, "000001");
    assert.equal(await d.exec("return document.getElementById('entry').value;"), "", "the serial scan was not typed into the entry field");
  });

  await step("a weighed product takes its weight from the scale", async () => {
    setScale(scaleState, 1234);
    // PLU 1: tomatoes, sold by the kg, no weight in the code
    await typeHuman("#entry", "1");
    await d.press("Enter");
    await waitRows(2);
    const r = await rows();
    assert.equal(r[1].sku, "001853");
    assert.match(r[1].qty, /^1\.234/, `the line weighs what the scale says (${r[1].qty})`);
  });

  await step("a moving scale is refused and the cashier types the weight", async () => {
    setScale(scaleState, 800, true);
    await typeHuman("#entry", "2");
    await d.press("Enter");
    // the scale waits up to 3 s for a still weight, then says it is unstable
    await d.waitVisible("#weight-input", 10000);
    assert.match(await d.exec("return document.body.textContent;"), /did not settle/, "the scale's message is shown");
    await d.keys("0.5", HUMAN_MS);
    await d.press("Enter");
    await waitRows(3);
    const r = await rows();
    assert.equal(r[2].sku, "001854");
    assert.match(r[2].qty, /^0\.5/, `the typed weight is used (${r[2].qty})`);
    setScale(scaleState, 0);
  });

  await step("open the drawer", async () => {
    await d.click("#nav-devices");
    await d.waitVisible("#open-drawer");
    const before = new Set(jobFiles(".bin"));
    await d.click("#open-drawer");
    // Epson ESC p: pin 2 (0), 100 ms on (50 × 2 ms), 500 ms off (250 × 2 ms)
    const pulse = Buffer.from([0x1b, 0x70, 0x00, 0x32, 0xfa]);
    const found = await until("the drawer pulse at the printer simulator", 8000, () =>
      jobFiles(".bin").find((f) => !before.has(f) && readFileSync(f).includes(pulse)),
    );
    assert.ok(found);
  });

  await step("test print reaches the printer simulator", async () => {
    const before = new Set(jobFiles(".txt"));
    await d.click("#test-print");
    const found = await until("the test page at the printer simulator", 10000, () =>
      jobFiles(".txt").find((f) => !before.has(f) && readFileSync(f, "utf8").includes("Test print / Пробен печат")),
    );
    assert.ok(readFileSync(found.replace(/\.txt$/, ".bin")).includes(Buffer.from([0x1d, 0x56])), "the test page ends with a cut");
  });

  await step("the returns screen shows what each line can still return", async () => {
    // pay the three lines (exact cash), then return one loaf twice over
    await d.click("#nav-till");
    await d.waitVisible("#entry");
    await d.press("F12");
    await d.waitVisible("#tender-amount");
    await d.click("#tender-amount");
    await d.press("Enter");
    await d.waitVisible("#receipt-change");
    const number = await d.exec("return document.getElementById('receipt-title').dataset.number;");
    const find = async () => {
      await d.click("#nav-returns");
      await d.waitVisible("#return-number");
      await d.exec("document.getElementById('return-number').value = '';");
      await typeHuman("#return-number", number);
      await d.press("Enter");
      await d.waitVisible('.lines tr[data-line="1"]');
      return d.exec(`const r = document.querySelector('.lines tr[data-line="1"]');
        return [r.querySelector('.sold').textContent, r.querySelector('.returned').textContent, r.querySelector('.returnable').textContent];`);
    };
    assert.deepEqual((await find()).map(Number), [1, 0, 1], "sold 1, returned 0, can return 1");
    await d.exec("document.querySelector('.return-qty[data-line=\"1\"]').value = '';");
    await typeHuman('.return-qty[data-line="1"]', "1");
    await d.click("#return-submit");
    await d.waitFor("the return receipt", "const e = document.getElementById('receipt-title'); return e && e.dataset.kind === 'return';");
    assert.match(await textOf("#receipt-preview"), /REFUND \/ ВЪРНАТИ\s+1\.87/, "the refund reads as a positive amount");
    assert.deepEqual((await find()).map(Number), [1, 1, 0], "sold 1, returned 1, nothing left");
    assert.ok(await d.exec("return document.querySelector('.return-qty[data-line=\"1\"]').disabled;"), "a returned line cannot be entered again");
  });

  closeSync(scannerFd);
}

let failed = false;
try {
  await main();
} catch (e) {
  if (!results.some((r) => !r.ok)) console.log(`FAIL setup: ${e.stack ?? e}`);
  failed = true;
} finally {
  await d.quit().catch(() => {});
  for (const p of socats) p.kill();
  rmSync(PTY_DIR, { recursive: true, force: true });
}
steps.finish(failed);
