/**
 * The pipe round-trip path between picoprocesses: bytes intact across small and large copies
 * and ring wrap-around, O_NONBLOCK, EOF when the peer ends; and the adaptive spin budget of pipe
 * waits (pal/futex.ts AdaptiveSpin): it grows past a sleep that ended soon (so both ends of a
 * ping-pong go back to spinning), is capped, and shrinks after long waits.
 */
import assert from "node:assert/strict";
import { AdaptiveSpin, SPIN_CEIL_MS, SPIN_MAX_MS, SPIN_MIN_MS } from "../../pal/futex.ts";
import { LEVELS, scenario } from "./_sb.ts";

Deno.test("AdaptiveSpin: grows past short sleeps, capped, shrinks after long waits", () => {
  const a = new AdaptiveSpin();
  assert.equal(a.budgetMs, SPIN_MAX_MS);
  a.slept(0.12); // woken 120 µs after the wait began: spin 1.5× that next time
  assert.ok(Math.abs(a.budgetMs - 0.18) < 1e-9);
  a.slept(0.25);
  assert.equal(a.budgetMs, SPIN_CEIL_MS);
  a.slept(0.01); // a short wait never shrinks it
  assert.equal(a.budgetMs, SPIN_CEIL_MS);
  for (let i = 0; i < 20; i++) a.slept(10); // an idle peer: halves down to the floor
  assert.equal(a.budgetMs, SPIN_MIN_MS);
  const w = new Int32Array(new SharedArrayBuffer(4));
  const t0 = performance.now();
  assert.equal(a.spin(w, 0, 0), false); // nothing changes: gives up within the budget
  assert.ok(performance.now() - t0 < 50);
  assert.equal(a.spin(w, 0, 1), true);
});

for (const iso of LEVELS) {
  Deno.test(`[${iso}] pipe round trips between processes: bytes intact, O_NONBLOCK, EOF`, async () => {
    const { report: r } = await scenario(iso, "round-trips", { fixture: "pipe_rtt" });
    assert.deepEqual(r, { trips: 3000, bad: 0, nonblock: "EAGAIN", echo: 0, eof: 0 });
  });
}
