// Keyboard-wedge scan detection: a TypeScript port of
// kasa_drivers::wedge (drivers/src/wedge.rs). Same rule, same default
// thresholds (the app fetches them from the Rust side with the
// `wedge_thresholds` command so the two cannot drift):
// a burst (every gap <= maxGapMs) is a scan when it has at least
// minScanLen characters, mean gap <= maxMeanGapMs, and ends with Enter
// within terminatorTimeoutMs of its last character (or just stops, when
// acceptUnterminated). Everything else is typed and passed through in order.
import type { WedgeThresholdsView } from "./generated/types";

export type WedgeOutput = { kind: "scan"; code: string } | { kind: "typed"; text: string };

export const DEFAULT_THRESHOLDS: WedgeThresholdsView = {
  min_scan_len: 4,
  max_mean_gap_ms: 30,
  max_gap_ms: 50,
  terminator_timeout_ms: 50,
  accept_unterminated: true,
};

const isTerminator = (c: string) => c === "\r" || c === "\n" || c === "\t";

function pushTyped(out: WedgeOutput[], text: string) {
  const prev = out[out.length - 1];
  if (prev && prev.kind === "typed") prev.text += text;
  else out.push({ kind: "typed", text });
}

export class WedgeDetector {
  private burst: Array<[string, number]> = [];
  constructor(public thresholds: WedgeThresholdsView = DEFAULT_THRESHOLDS) {}

  isPending(): boolean {
    return this.burst.length > 0;
  }

  /** Feed one key (a character, or "\r" for Enter) pressed at `atMs`. */
  push(key: string, atMs: number): WedgeOutput[] {
    const out: WedgeOutput[] = [];
    const last = this.burst[this.burst.length - 1];
    const gap = last ? Math.max(0, atMs - last[1]) : undefined;
    if (isTerminator(key)) {
      if (gap === undefined) {
        pushTyped(out, key);
      } else if (gap <= this.thresholds.terminator_timeout_ms) {
        if (this.burstIsScan()) out.push({ kind: "scan", code: this.takeText() });
        else pushTyped(out, this.takeText() + key);
      } else {
        this.endUnterminated(out);
        pushTyped(out, key);
      }
      return out;
    }
    if (gap !== undefined && gap > this.thresholds.max_gap_ms) this.endUnterminated(out);
    this.burst.push([key, atMs]);
    return out;
  }

  /** Call from a timer: releases a burst silent for longer than the window. */
  poll(nowMs: number): WedgeOutput[] {
    const out: WedgeOutput[] = [];
    const last = this.burst[this.burst.length - 1];
    const window = Math.max(this.thresholds.max_gap_ms, this.thresholds.terminator_timeout_ms);
    if (last && nowMs - last[1] > window) this.endUnterminated(out);
    return out;
  }

  /** The earliest time `poll` releases the pending burst; `null` when idle. */
  releaseAt(): number | null {
    const last = this.burst[this.burst.length - 1];
    if (!last) return null;
    const window = Math.max(this.thresholds.max_gap_ms, this.thresholds.terminator_timeout_ms);
    // poll releases once more than `window` ms have passed.
    return last[1] + window + 1;
  }

  /** The input ended: release everything. */
  finish(): WedgeOutput[] {
    const out: WedgeOutput[] = [];
    this.endUnterminated(out);
    return out;
  }

  private endUnterminated(out: WedgeOutput[]) {
    if (this.burst.length === 0) return;
    const scan = this.thresholds.accept_unterminated && this.burstIsScan();
    const text = this.takeText();
    if (scan) out.push({ kind: "scan", code: text });
    else pushTyped(out, text);
  }

  private burstIsScan(): boolean {
    const n = this.burst.length;
    if (n < this.thresholds.min_scan_len || n < 2) return false;
    let maxGap = 0;
    let total = 0;
    for (let i = 1; i < n; i++) {
      const g = Math.max(0, this.burst[i][1] - this.burst[i - 1][1]);
      maxGap = Math.max(maxGap, g);
      total += g;
    }
    return maxGap <= this.thresholds.max_gap_ms && total <= this.thresholds.max_mean_gap_ms * (n - 1);
  }

  private takeText(): string {
    const t = this.burst.map(([c]) => c).join("");
    this.burst = [];
    return t;
  }
}

/** The timer functions a {@link ReleaseTimer} uses (the window's, or a test's). */
export interface Timers {
  set(fn: () => void, ms: number): number;
  clear(handle: number): void;
  now(): number;
}

/**
 * Releases a pending burst when its window has passed: one timeout, armed
 * after each key while a burst is pending and cleared when none is — no
 * timer runs while the keyboard is idle.
 */
export class ReleaseTimer {
  private handle: number | null = null;
  constructor(
    private detector: WedgeDetector,
    private release: (out: WedgeOutput[]) => void,
    private timers: Timers,
  ) {}

  /** Call after every key fed to the detector. */
  rearm() {
    if (this.handle !== null) this.timers.clear(this.handle);
    this.handle = null;
    const at = this.detector.releaseAt();
    if (at === null) return;
    this.handle = this.timers.set(() => {
      this.handle = null;
      this.release(this.detector.poll(this.timers.now()));
      this.rearm();
    }, Math.max(0, at - this.timers.now()));
  }

  /** Whether a timeout is waiting. */
  isArmed(): boolean {
    return this.handle !== null;
  }
}

/** Run a recorded sequence at once (tests, replay). */
export function classify(events: Array<[string, number]>, t: WedgeThresholdsView = DEFAULT_THRESHOLDS): WedgeOutput[] {
  const d = new WedgeDetector(t);
  const out: WedgeOutput[] = [];
  const append = (items: WedgeOutput[]) => {
    for (const o of items) {
      if (o.kind === "typed") pushTyped(out, o.text);
      else out.push(o);
    }
  };
  for (const [k, at] of events) append(d.push(k, at));
  append(d.finish());
  return out;
}
