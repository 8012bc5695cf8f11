// What every e2e scenario file shares: screenshots, steps that print PASS /
// FAIL and stop the file at the first failure, and the closing
// "N/M steps passed" line, where M counts the steps a failure kept from
// running (every `  await step(` line of the file).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A person types one key every 100 ms (never mistaken for a scan). */
export const HUMAN_MS = 100;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Steps {
  /** `d`: the WebDriver session; `fileUrl`: the scenario file (for the planned count);
   *  `failurePrefix`: the name a failing step's screenshot starts with. */
  constructor(d, fileUrl, failurePrefix) {
    this.d = d;
    this.failurePrefix = failurePrefix;
    this.results = [];
    this.shots = process.env.KASA_SCREENSHOTS ?? new URL("./screenshots", import.meta.url).pathname;
    mkdirSync(this.shots, { recursive: true });
    this.planned = (readFileSync(fileUrl, "utf8").match(/^ {2}await step\(/gm) ?? []).length;
  }

  async shot(name) {
    await sleep(500); // let a frame render before the screenshot
    // WebKit's snapshot waits for the next painted frame; with hardware
    // acceleration off (src-tauri/src/webview.rs) a still screen with no
    // blinking caret paints none for ~30 s. An all but invisible repaint
    // shortly after asking (opacity 0.999) makes the frame come.
    await this.d.exec("setTimeout(() => { document.body.style.opacity = '0.999'; }, 100);");
    const started = Date.now();
    writeFileSync(join(this.shots, `${name}.png`), await this.d.screenshot());
    await this.d.exec("document.body.style.opacity = '';");
    const ms = Date.now() - started;
    if (ms > 2000) console.log(`  (screenshot ${name} took ${ms} ms)`);
  }

  async step(name, f) {
    const started = Date.now();
    try {
      await f();
      this.results.push({ name, ok: true, ms: Date.now() - started });
      console.log(`PASS ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      this.results.push({ name, ok: false, error: String(e) });
      console.log(`FAIL ${name}: ${e.stack ?? e}`);
      await this.shot(`${this.failurePrefix}${name.replace(/\W+/g, "-")}`).catch(() => {});
      throw e;
    }
  }

  /** Print "N/M steps passed" and exit (non-zero when `failed`). */
  finish(failed) {
    const passed = this.results.filter((r) => r.ok).length;
    const total = Math.max(this.planned, this.results.length);
    console.log(`${passed}/${total} steps passed${failed ? ` — FAILED (${total - this.results.length} not run)` : ""}`);
    process.exit(failed ? 1 : 0);
  }
}
