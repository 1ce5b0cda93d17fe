/**
 * How a guest thread waits for the result of a synchronous call: a short spin, then, for call
 * numbers whose recent spins paid, a longer one, then a sleep on the slot's STATE word.
 */
import { SlotState, SlotWord } from "../ring.ts";

const SPIN_ITERATIONS = 256;
const SPIN_MS = 0.05;
/** Spin while at least this share of recent spins ended with the result. */
const SPIN_KEEP = 0.5;
const SPIN_MAX_MS = 0.3;

/** The spin-then-sleep policy of one thread's synchronous calls (its own statistics). */
export class SpinWait {
  /** Per call number: how often a spin recently ended with the result (moving average). */
  readonly #hits = new Float64Array(256).fill(1);
  #probes = 0;
  /** Per call number: how long its calls usually take (ms, moving average). */
  readonly #usualMs = new Float64Array(256);

  /** Return once `w`'s STATE word reads DONE (the host completed the call). */
  wait(w: Int32Array): void {
    for (let i = 0; i < SPIN_ITERATIONS; i++) {
      if (Atomics.load(w, SlotWord.STATE) === SlotState.DONE) return;
    }
    // A sleep/wake costs tens of µs when the host thread has a core of its own: then spinning
    // (checking the clock now and then) first pays, for about twice as long as the call
    // usually takes (a 1 MiB transfer takes longer than a stat), within [SPIN_MS, SPIN_MAX_MS].
    // On a loaded machine it does not: the spin holds the core the host needs, and the call
    // ends in a sleep anyway (a 64 KiB read took ~150 µs with a spin against ~25-55 µs without,
    // on a loaded 2-core VM). So spin only for call numbers whose recent spins mostly caught
    // the result, and probe every 16th call to notice when they would again.
    const num = w[SlotWord.CALL]! & 0xff;
    const hits = this.#hits;
    const usual = this.#usualMs[num]!;
    const t0 = performance.now();
    if (hits[num]! >= SPIN_KEEP || (++this.#probes & 15) === 0) {
      const budget = Math.min(SPIN_MAX_MS, Math.max(SPIN_MS, 2 * usual));
      let hit = false;
      spin: while (performance.now() - t0 < budget) {
        for (let i = 0; i < 64; i++) {
          if (Atomics.load(w, SlotWord.STATE) === SlotState.DONE) {
            hit = true;
            break spin;
          }
        }
      }
      hits[num] = 0.875 * hits[num]! + (hit ? 0.125 : 0);
      if (hit) {
        this.#usualMs[num] = 0.75 * usual + 0.25 * (performance.now() - t0);
        return;
      }
    }
    for (;;) {
      const s = Atomics.load(w, SlotWord.STATE);
      if (s === SlotState.DONE) break;
      Atomics.wait(w, SlotWord.STATE, s, 1000);
    }
    this.#usualMs[num] = 0.75 * usual + 0.25 * (performance.now() - t0);
  }
}
