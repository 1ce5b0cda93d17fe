/**
 * Liveness: a Worker never ends by itself and its event loop always reports more work, so the
 * libOS counts what can still wake the app — ref'd timers, pending libOS operations, fetches —
 * and calls `onIdle` once the count stays at zero across two macrotask turns after the entry
 * module has been evaluated. The turns are `setImmediate` turns (pal/turn.ts: each ends an
 * iteration of Deno's event loop, so an unhandled rejection is dispatched before the process
 * ends), not 0 ms timers: a process whose program returns ends through two of them (a fork whose
 * entry returns, fork+wait: 11–15 ms with timers, 10–12 ms with message turns; 6–9 ms once pooled
 * Workers made two turns while warming up — the first message a Worker receives costs ~2.5 ms
 * more, libos/boot.ts).
 */

import { macrotaskTurn } from "../pal/turn.ts";

type Timer = ReturnType<typeof setTimeout>;

/** The counter of live work of one picoprocess. */
export class Liveness {
  #pending = 0;
  #armed = false;
  #checking = false;
  /** Active ref'd timers; an interval stays here until cleared. */
  readonly #timers = new Map<Timer, () => void>();
  readonly #unrefd = new Set<Timer>();
  /** Deno's own clearTimeout (it clears intervals too), once the timers are installed. */
  #clear: ((id: Timer) => void) | null = null;

  /** @param onIdle called once when nothing is left */
  constructor(readonly onIdle: () => void) {}

  /** Count one piece of pending work; the returned function (idempotent) ends it. */
  hold(): () => void {
    this.#pending++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#pending--;
      this.#maybeIdle();
    };
  }

  /** Count `p` until it settles. */
  track<T>(p: Promise<T>): Promise<T> {
    const release = this.hold();
    p.then(release, release);
    return p;
  }

  /**
   * The entry module finished evaluating: from now on, zero means done.
   * @param settled the program is known to leave no work that is not counted (a built-in whose
   *   `main` settled: Sandpiper's code): with nothing pending, `onIdle` runs now, without the
   *   two turns that let an app's uncounted work show itself
   */
  arm(settled = false): void {
    this.#armed = true;
    if (settled && this.#pending === 0 && !this.#checking) this.onIdle();
    else this.#maybeIdle();
  }

  /** Look again for the idle state (`onIdle` declined to end the process: `beforeunload`). */
  recheck(): void {
    this.#maybeIdle();
  }

  /**
   * Start over for another process in this Worker (libos.ts recycling; nothing was pending):
   * unref'd timers the last one left are cleared, the count waits for `arm` again.
   */
  reset(): void {
    for (const id of this.#unrefd) this.#clear?.(id);
    this.#unrefd.clear();
    this.#timers.clear();
    this.#pending = 0;
    this.#armed = false;
    this.#checking = false;
  }

  /** Pending work (tests and /proc). */
  get pending(): number {
    return this.#pending;
  }

  #maybeIdle(): void {
    if (!this.#armed || this.#pending > 0 || this.#checking) return;
    this.#checking = true;
    macrotaskTurn(() => {
      macrotaskTurn(() => {
        this.#checking = false;
        if (this.#pending === 0) this.onIdle();
      });
    });
  }

  /** Replace the global timer functions (and Deno.refTimer/unrefTimer) with counting ones. */
  installTimers(
    deno: { refTimer?: (id: number) => void; unrefTimer?: (id: number) => void },
  ): void {
    const g = globalThis as unknown as Record<string, unknown>;
    const st = globalThis.setTimeout.bind(globalThis);
    const si = globalThis.setInterval.bind(globalThis);
    const ct = globalThis.clearTimeout.bind(globalThis);
    const ci = globalThis.clearInterval.bind(globalThis);
    this.#clear = ct;
    const ref = deno.refTimer?.bind(deno);
    const unref = deno.unrefTimer?.bind(deno);
    const end = (id: Timer | undefined) => {
      if (id === undefined) return;
      this.#unrefd.delete(id);
      this.#timers.get(id)?.();
      this.#timers.delete(id);
    };
    g.setTimeout = (cb: unknown, ms?: number, ...args: unknown[]) => {
      const id: Timer = st(
        (...a: unknown[]) => {
          end(id);
          if (typeof cb === "function") cb(...a);
        },
        ms,
        ...args,
      );
      this.#timers.set(id, this.hold());
      return id;
    };
    g.setInterval = (cb: unknown, ms?: number, ...args: unknown[]) => {
      const id: Timer = si(cb as (...a: unknown[]) => void, ms, ...args);
      this.#timers.set(id, this.hold());
      return id;
    };
    g.clearTimeout = (id?: Timer) => {
      ct(id);
      end(id);
    };
    g.clearInterval = (id?: Timer) => {
      ci(id);
      end(id);
    };
    deno.unrefTimer = (id: number) => {
      unref?.(id);
      const t = id as unknown as Timer;
      const release = this.#timers.get(t);
      if (release) {
        release();
        this.#timers.set(t, () => {});
        this.#unrefd.add(t);
      }
    };
    deno.refTimer = (id: number) => {
      ref?.(id);
      const t = id as unknown as Timer;
      if (this.#unrefd.delete(t)) this.#timers.set(t, this.hold());
    };
  }

  /** Count in-flight fetch() calls and a few other host-backed async built-ins. */
  installAsyncBuiltins(): void {
    const g = globalThis as unknown as { fetch: typeof fetch };
    const f = g.fetch.bind(globalThis);
    g.fetch = (...a: Parameters<typeof fetch>) => this.track(f(...a));
    const subtle = crypto.subtle as unknown as Record<string, unknown>;
    for (
      const name of [
        "digest",
        "encrypt",
        "decrypt",
        "sign",
        "verify",
        "generateKey",
        "importKey",
        "exportKey",
        "deriveBits",
        "deriveKey",
      ]
    ) {
      const fn = subtle[name];
      if (typeof fn === "function") {
        subtle[name] = (...a: unknown[]) => this.track(fn.apply(crypto.subtle, a));
      }
    }
  }
}
