// A minimal W3C WebDriver client over fetch (Node 20): just the commands
// the scenarios use. No retries: a failed command throws with the
// driver's error.
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** The element reference, W3C or the legacy JSON-wire key. */
function elementId(v) {
  const id = v[ELEMENT] ?? v.ELEMENT;
  if (!id) throw new Error(`WebDriver returned no element reference: ${JSON.stringify(v)}`);
  return id;
}

export class WebDriver {
  constructor(base) {
    this.base = base.replace(/\/$/, "");
    this.session = null;
  }

  async cmd(method, path, body) {
    const url = this.session ? `${this.base}/session/${this.session}${path}` : `${this.base}${path}`;
    const res = await fetch(url, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok || (json.value && json.value.error)) {
      const v = json.value || {};
      throw new Error(`WebDriver ${method} ${path}: ${v.error} ${v.message}`);
    }
    return json.value;
  }

  async start(capabilities) {
    const v = await this.cmd("POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    this.session = v.sessionId;
    return v;
  }

  async quit() {
    if (this.session) await this.cmd("DELETE", "");
    this.session = null;
  }

  async find(css) {
    const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return elementId(v);
  }

  async findAll(css) {
    const v = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return v.map(elementId);
  }

  async click(css) {
    const id = await this.find(css);
    await this.cmd("POST", `/element/${id}/click`, {});
  }

  async text(css) {
    const id = await this.find(css);
    return this.cmd("GET", `/element/${id}/text`);
  }

  async exec(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  async execAsync(script, args = []) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /** Key presses with `pauseMs` between them (a person: >= 80 ms; a scanner: 0). */
  async keys(text, pauseMs) {
    const actions = [];
    for (const ch of text) {
      const key = ch === "\n" ? "\uE007" : ch;
      actions.push({ type: "keyDown", value: key }, { type: "keyUp", value: key });
      if (pauseMs > 0) actions.push({ type: "pause", duration: pauseMs });
    }
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "kbd", actions }] });
    await this.cmd("DELETE", "/actions");
  }

  /** A special key: F1–F12, Enter, Escape. */
  async press(name) {
    const codes = { Enter: "\uE007", Escape: "\uE00C", ArrowUp: "\uE013", ArrowDown: "\uE015" };
    for (let i = 1; i <= 12; i++) codes[`F${i}`] = String.fromCharCode(0xe031 + i - 1);
    await this.keys(codes[name], 0);
  }

  /**
   * Wait until `script` (a function body returning a value) returns a
   * truthy value, polling the page every 50 ms, or throw after
   * `timeoutMs` naming `what`. This waits on a condition; it does not
   * repeat failed actions.
   */
  async waitFor(what, script, args = [], timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.exec(script, args);
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitVisible(css, timeoutMs = 5000) {
    return this.waitFor(`${css} to appear`, "const e = document.querySelector(arguments[0]); return !!e && e.offsetParent !== null;", [css], timeoutMs);
  }
}

/**
 * Poll `probe` (sync or async) until it returns a truthy value, every
 * 100 ms, or throw after `timeoutMs` naming `what` — for conditions outside
 * the page (files, head office's API). It waits; it does not retry actions.
 */
export async function until(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
