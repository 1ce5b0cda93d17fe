/**
 * One macrotask turn of the event loop, for code that must let other tasks run (a cooperative
 * yield, a re-check that must not keep a thread in microtasks, a liveness check).
 *
 * `setImmediate` (node:timers): it runs after a whole iteration of Deno's event loop, in which
 * ready I/O is handled and unhandled promise rejections are dispatched. Not `setTimeout(0)`: Deno
 * runs a 0 ms timer ~2 ms later (measured in Deno 2.9.6: median 2.1 ms). Not a MessageChannel
 * message either, which this module used before: once `node:worker_threads` is loaded (a guest's
 * PAL client uses its `receiveMessageOnPort`), Deno delivers a channel's messages without ending
 * the iteration (measured: ~256 chained turns before a pending rejection was dispatched, against
 * one without that module; a turn ~28 µs against ~4 µs for `setImmediate`), so a process whose
 * last act was an unhandled rejection ended with status 0.
 * `setImmediate` is captured when this module loads: in a picoprocess that is before the app
 * runs, so an app that replaces the global does not change what the libOS uses.
 * @module
 */
import { setImmediate as immediate } from "node:timers";

/** Run `cb` after one macrotask turn. */
export function macrotaskTurn(cb: () => void): void {
  immediate(cb);
}

/** Resolve after one macrotask turn. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => macrotaskTurn(resolve));
}
