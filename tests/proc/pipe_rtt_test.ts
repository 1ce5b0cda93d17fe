/**
 * The pipe round-trip path between picoprocesses: bytes intact across small and large copies
 * and ring wrap-around, O_NONBLOCK, EOF when the peer ends; and the adaptive spin budget of pipe
 * waits (pal/futex.ts AdaptiveSpin): it grows past a sleep that ended soon (so both ends of a
 * ping-pong go back to spinning), is capped, and shrinks after long waits.
 */
import assert from "node:assert/strict";
import { AdaptiveSpin, SPIN_CEIL_MS, SPIN_MAX_MS, SPIN_MIN_MS } from "../../pal/futex.ts";
import { LEVELS, scenario } from "./_sb.ts";

Deno.test("AdaptiveSpin: grows past short sleeps, capped, backs off when growing fails", () => {
  const a = new AdaptiveSpin();
  const w = new Int32Array(new SharedArrayBuffer(4));
  const near = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-9, `${x} != ${y}`);
  assert.equal(a.budgetMs, SPIN_MAX_MS);
  a.slept(0.12); // woken 120 µs after the wait began: spin 1.5× that next time
  near(a.budgetMs, 0.18);
  assert.equal(a.spin(w, 0, 1), true); // the longer spin caught the answer: kept
  a.slept(0.25);
  assert.equal(a.budgetMs, SPIN_CEIL_MS);
  // A grown spin that still had to sleep: quartered, and no growth for 8 sleeps.
  a.slept(0.1);
  near(a.budgetMs, SPIN_CEIL_MS / 4);
  for (let i = 0; i < 8; i++) a.slept(0.1);
  assert.equal(a.budgetMs, SPIN_MIN_MS);
  a.slept(0.1); // cool-down over: grows again
  near(a.budgetMs, 0.15);
  assert.equal(a.spin(w, 0, 1), true);
  for (let i = 0; i < 20; i++) a.slept(10); // an idle peer: halves down to the floor
  assert.equal(a.budgetMs, SPIN_MIN_MS);
  const t0 = performance.now();
  assert.equal(a.spin(w, 0, 0), false); // nothing changes: gives up within the budget
  assert.ok(performance.now() - t0 < 50);
});

for (const iso of LEVELS) {
  Deno.test(`[${iso}] pipe round trips between processes: bytes intact, O_NONBLOCK, EOF`, async () => {
    const { report: r } = await scenario(iso, "round-trips", { fixture: "pipe_rtt" });
    assert.deepEqual(r, { trips: 3000, bad: 0, nonblock: "EAGAIN", echo: 0, eof: 0 });
  });
}
