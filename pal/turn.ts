/**
 * One macrotask turn of the event loop, for code that must let other tasks run (a cooperative
 * yield, a re-check that must not keep a thread in microtasks, a liveness check).
 *
 * A MessageChannel message, not `setTimeout(0)`: Deno runs a 0 ms timer a millisecond or more
 * later (measured in Deno 2.9.6: two nested ones took ~4.3 ms, two message turns ~40 µs). The
 * channel is closed after use: an open port with a handler would keep the event loop alive.
 * `MessageChannel` is captured when this module loads: in a picoprocess that is before the app
 * runs, so an app that replaces the global does not change what the libOS uses.
 * @module
 */

const Channel = globalThis.MessageChannel;

/** Run `cb` after one macrotask turn. */
export function macrotaskTurn(cb: () => void): void {
  const ch = new Channel();
  ch.port2.onmessage = () => {
    ch.port1.close();
    ch.port2.close();
    cb();
  };
  ch.port1.postMessage(0);
}

/** Resolve after one macrotask turn. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => macrotaskTurn(resolve));
}
