/**
 * The unresponsiveness watchdog (`sys.watchdog`). A picoprocess shows it is alive by making PAL
 * calls: the libOS makes one from a timer every `heartbeatMs` (libos/revoke.ts, told the period
 * by its init message), and every other call counts too. The host stamps each call
 * it serves; a picoprocess that has made no call for `timeoutMs` and is not waiting inside an
 * asynchronous host call (a blocking read, an accept) is runaway: its event loop never turns,
 * e.g. a busy loop. The sandbox is then ended with the `watchdog` limit. A process blocked in a
 * synchronous wait inside the libOS (pipe read, SysV wait, poll, stopped) is waiting, not
 * runaway: those wait loops beat too (pal/futex.ts `beatWhileBlocked`). A new process has
 * START_ALLOWANCE_MS before its silence counts (module load and compile).
 *
 * Ending is reliable in `process` isolation only: the host process exits, which stops every
 * thread. In `worker` isolation `worker.terminate()` does not stop a busy loop (measured): the
 * embedding app gets the LimitError and the sandbox is closed, but the thread keeps a core busy
 * until the embedding process exits.
 */
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import type { LimitName } from "./protocol.ts";

/** What the watchdog sees of a picoprocess. */
export interface Watched {
  readonly pid: number;
  readonly state: string;
}

/** What the watchdog needs from the host. */
export interface WatchdogHost<P extends Watched> {
  readonly procs: ReadonlyMap<number, P>;
  limit(limit: LimitName, message: string): void;
}

interface Seen {
  /** When the last call was served; NaN until the first (boot is still loading modules). */
  lastMs: number;
  inflight: number;
}

/** Time a new process has before its first call counts (module load and compile). */
const START_ALLOWANCE_MS = 3000;

/** Longest a libOS waits between heartbeats, whatever the timeout. */
const MAX_HEARTBEAT_MS = 1000;

/**
 * Period of the libOS heartbeat for a watchdog timeout: a quarter of it, within [20, 1000] ms.
 * @param timeoutMs `sys.watchdog`
 */
export function heartbeatPeriod(timeoutMs: number): number {
  return Math.max(20, Math.min(MAX_HEARTBEAT_MS, Math.floor(timeoutMs / 4)));
}

/** One sandbox's watchdog. */
export class Watchdog<P extends Watched> {
  readonly #seen = new WeakMap<P, Seen>();
  readonly #timer: ReturnType<typeof setInterval>;

  /**
   * @param host the sandbox host
   * @param timeoutMs `sys.watchdog`
   */
  constructor(readonly host: WatchdogHost<P>, readonly timeoutMs: number) {
    // Checked as often as the libOS beats (its period comes with each init message).
    this.#timer = setInterval(() => this.check(), heartbeatPeriod(timeoutMs));
  }

  /** Start watching `p` (at spawn). It is armed by its first call (boot opens its stdio). */
  watch(p: P): void {
    // The clock starts now (plus a start-up allowance for loading and compiling the program),
    // not at the first call: a process may make no call at all (its stdio and signal slot come
    // in the init message), e.g. one that goes straight into a busy loop.
    this.#seen.set(p, { lastMs: performance.now() + START_ALLOWANCE_MS, inflight: 0 });
  }

  /** Wrap a handler table so every served call stamps its caller. */
  wrap(handlers: HostHandlers<P>): HostHandlers<P> {
    const out: Record<string, unknown> = {};
    for (const [name, h] of Object.entries(handlers)) {
      const fn = h as (ctx: { owner: P }, ...a: unknown[]) => unknown;
      out[name] = (ctx: { owner: P }, ...args: unknown[]) => {
        const s = this.#seen.get(ctx.owner);
        if (!s) return fn(ctx, ...args);
        s.lastMs = performance.now();
        const r = fn(ctx, ...args);
        if (r instanceof Promise) {
          s.inflight++;
          const done = () => {
            s.inflight--;
            s.lastMs = performance.now();
          };
          r.then(done, done);
        }
        return r;
      };
    }
    return out as HostHandlers<P>;
  }

  /** Find a runaway picoprocess; ends the sandbox when there is one. */
  check(): void {
    const now = performance.now();
    for (const p of this.host.procs.values()) {
      if (p.state === "exited") continue;
      const s = this.#seen.get(p);
      if (!s || s.inflight > 0) continue;
      const idle = now - s.lastMs;
      if (idle > this.timeoutMs) {
        this.stop();
        this.host.limit(
          "watchdog",
          `pid ${p.pid} stopped answering for ${Math.round(idle)} ms (sys.watchdog = ` +
            `${this.timeoutMs} ms): treated as runaway`,
        );
        return;
      }
    }
  }

  /** Stop checking. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
