// Measurements of the real app (not pass/fail tests): scan-to-line-rendered
// latency with a large catalog, and resident memory after N sales.
//   KASA_APP=… KASA_DATA_DIR=… WEBDRIVER_URL=… node e2e/measure.mjs scan <products.csv> [n]
//   KASA_APP=… KASA_DATA_DIR=… WEBDRIVER_URL=… node e2e/measure.mjs sales [n]
import { readFileSync, readdirSync } from "node:fs";
import { WebDriver } from "./webdriver.mjs";

const [mode, ...rest] = process.argv.slice(2);
const d = new WebDriver(process.env.WEBDRIVER_URL ?? "http://127.0.0.1:4445");
const APP = process.env.KASA_APP;
const DATA_DIR = process.env.KASA_DATA_DIR;

function pick(csvPath, n) {
  // Deterministic sample of single-unit barcodes from products.csv.
  const text = readFileSync(csvPath, "utf8");
  const lines = text.split("\n");
  const out = [];
  let x = 12345;
  while (out.length < n) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const row = lines[1 + (x % (lines.length - 2))];
    const cols = row.split(",");
    const codes = cols[8]?.split(";").filter((c) => /^\d{8,14}$/.test(c));
    if (codes && codes.length) out.push(codes[0]);
  }
  return out;
}

function rssKb(pid) {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

function anonKb(pid) {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/RssAnon:\s+(\d+)/.exec(s)[1]);
}

function appProcesses() {
  const app = [];
  for (const p of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      if (cmd[0] === APP && cmd.includes(DATA_DIR)) app.push(Number(p));
    } catch {}
  }
  const children = [];
  for (const p of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (app.includes(ppid)) children.push(Number(p));
    } catch {}
  }
  return { app, children };
}

async function loginAndOpenShift() {
  await d.waitFor("ready", "return document.body.dataset.ready === '1';", [], 20000);
  await d.click("#pin");
  await d.keys("1111", 0);
  await d.press("Enter");
  await d.waitFor("shift or till", "return !!document.querySelector('#float, #entry');");
  if (await d.exec("return !!document.querySelector('#float');")) {
    await d.click("#float");
    await d.keys("100", 100);
    await d.press("Enter");
  }
  await d.waitVisible("#entry");
}

const pct = (a, p) => a[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)];

await d.start({ "webkitgtk:browserOptions": { binary: APP, args: ["--data-dir", DATA_DIR, ...(mode === "sales" ? ["--demo"] : [])] } });
await d.cmd("POST", "/timeouts", { script: 900000 });
try {
  await loginAndOpenShift();
  if (mode === "scan") {
    const n = Number(rest[1] ?? 300);
    const codes = pick(rest[0], n);
    // Scan → IPC → lookup + pricing in Rust → DOM patch → next frame
    // (the rAF after the DOM change: the frame that paints the row).
    // The split: `kasa-scan` (till.ts) is the shell round trip plus the
    // DOM patch; the rest is waiting for that frame.
    // The open sale is parked every 25 lines (receipts are rarely longer).
    const { times, sync } = await d.execAsync(
      `const codes = arguments[0], done = arguments[arguments.length - 1];
       const out = [], sync = []; let i = 0;
       async function next() {
         if (i >= codes.length) return done({ times: out, sync });
         if (i > 0 && i % 25 === 0) await window.__TAURI__.core.invoke('park', { label: null });
         const t0 = performance.now();
         const obs = new MutationObserver(() => {
           obs.disconnect();
           requestAnimationFrame(() => {
             out.push(performance.now() - t0);
             sync.push(performance.getEntriesByName('kasa-scan').at(-1)?.duration ?? NaN);
             i++;
             setTimeout(next, 5);
           });
         });
         obs.observe(document.getElementById('lines'), { childList: true, subtree: true, characterData: true });
         window.kasaDebug.scanned(codes[i]);
       }
       next();`,
      [codes],
    );
    const errors = await d.exec("return document.getElementById('toast').hidden ? null : document.getElementById('toast').textContent;");
    const sorted = [...times].sort((a, b) => a - b);
    const ipcDom = [...sync].sort((a, b) => a - b);
    console.log(JSON.stringify({
      scans: times.length, p50_ms: pct(sorted, 50).toFixed(1), p95_ms: pct(sorted, 95).toFixed(1), p99_ms: pct(sorted, 99).toFixed(1), max_ms: sorted.at(-1).toFixed(1),
      ipc_and_dom_p50_ms: pct(ipcDom, 50).toFixed(1), ipc_and_dom_p99_ms: pct(ipcDom, 99).toFixed(1), last_toast: errors,
    }));
  } else {
    const n = Number(rest[0] ?? 500);
    const before = appProcesses();
    const rss0 = { app: before.app.map(rssKb), webkit: before.children.map(rssKb) };
    const ms = await d.execAsync(
      `const n = arguments[0], done = arguments[arguments.length - 1];
       const inv = window.__TAURI__.core.invoke;
       const codes = ['3800010000000', '3800010000017', '2100001012342'];
       (async () => {
         const t0 = performance.now();
         for (let i = 0; i < n; i++) {
           for (const c of codes) await inv('scan', { code: c, qty: null });
           await inv('add_tender', { kind: 'cash', amount: null, reference: null });
           await inv('complete_sale', {});
         }
         done(performance.now() - t0);
       })().catch(e => done('error: ' + JSON.stringify(e)));`,
      [n],
    );
    if (typeof ms === "string") throw new Error(ms);
    await new Promise((r) => setTimeout(r, 3000)); // let the print queue drain
    const after = appProcesses();
    console.log(JSON.stringify({
      sales: n,
      seconds: (ms / 1000).toFixed(1),
      app_rss_mb_before: rss0.app.map((k) => (k / 1024).toFixed(1)),
      app_rss_mb_after: after.app.map((p) => (rssKb(p) / 1024).toFixed(1)),
      app_rss_anon_mb_after: after.app.map((p) => (anonKb(p) / 1024).toFixed(1)),
      webkit_children_rss_mb_after: after.children.map((p) => (rssKb(p) / 1024).toFixed(1)),
      webkit_children_rss_anon_mb_after: after.children.map((p) => (anonKb(p) / 1024).toFixed(1)),
      // shared library pages are counted once per process here, so the sum overstates
      // what the machine spends; it is the upper bound for "the till and its webview"
      sum_rss_mb_after: ([...after.app, ...after.children].reduce((a, p) => a + rssKb(p), 0) / 1024).toFixed(1),
    }));
  }
} finally {
  await d.quit().catch(() => {});
}
