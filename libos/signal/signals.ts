/**
 * Signals, guest side: dispositions (default, ignore, a handler), the mask, pending signals, and
 * delivery at safe points — after every libOS call (`wrapSys`) and on event-loop turns (a
 * waitAsync on the signal page's sequence word). The host picks the action from the page
 * (libos/signal/shared.ts); the libOS runs handlers, waits while stopped, and re-raises a signal
 * it had blocked once it is unblocked and has no handler (so the host applies the default).
 */
import type { PalClient } from "../../pal/guest/client.ts";
import type { Interrupt } from "../../pal/futex.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import type { Sys } from "../sys/types.ts";
import { SIG, SIGNAL_PAGE_BYTES, SigWord } from "./shared.ts";

/** What a signal does in this process. */
export type Disposition = "default" | "ignore" | ((sig: number) => void);

/** sigprocmask(2) `how`. */
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

function checkSig(sig: number): void {
  if (!Number.isInteger(sig) || sig < 1 || sig > 31) {
    throw new ErrnoError(Errno.EINVAL, `bad signal ${sig}`);
  }
}

/** The signal state of one picoprocess. */
export class Signals {
  readonly #page: Int32Array;
  readonly #disp = new Map<number, Disposition>();
  readonly #listeners = new Map<number, Set<() => void>>();
  #delivering = false;

  /**
   * @param pal the PAL client (kill)
   * @param pid this process's pid
   * @param page the host's signal page (a private one when the host gave none)
   * @param interrupt the token the host raises for a handled signal (EINTR)
   */
  constructor(
    readonly pal: PalClient,
    readonly pid: number,
    page: SharedArrayBuffer | undefined,
    readonly interrupt: Interrupt | null,
  ) {
    this.#page = new Int32Array(page ?? new SharedArrayBuffer(SIGNAL_PAGE_BYTES), 0, 8);
  }

  /** sigaction(2): set the disposition of `sig`. @returns the previous one */
  set(sig: number, disp: Disposition): Disposition {
    checkSig(sig);
    if (sig === SIG.SIGKILL || sig === SIG.SIGSTOP) {
      throw new ErrnoError(Errno.EINVAL, "SIGKILL and SIGSTOP cannot be caught or ignored");
    }
    const old = this.#disp.get(sig) ?? "default";
    this.#disp.set(sig, disp);
    this.#publish(sig);
    return old;
  }

  /** Deno.addSignalListener: add a listener (listeners and a set() handler all run). */
  addListener(sig: number, fn: () => void): void {
    checkSig(sig);
    if (sig === SIG.SIGKILL || sig === SIG.SIGSTOP) {
      throw new ErrnoError(Errno.EINVAL, "SIGKILL and SIGSTOP cannot be caught");
    }
    let set = this.#listeners.get(sig);
    if (!set) this.#listeners.set(sig, set = new Set());
    set.add(fn);
    this.#publish(sig);
  }

  /** Remove a listener added with addListener. */
  removeListener(sig: number, fn: () => void): void {
    this.#listeners.get(sig)?.delete(fn);
    this.#publish(sig);
  }

  /** sigprocmask(2). @returns the old mask (bit n = signal n) */
  mask(how: number, set: number): number {
    const w = this.#page;
    const old = Atomics.load(w, SigWord.BLOCKED);
    const keep = ~((1 << SIG.SIGKILL) | (1 << SIG.SIGSTOP));
    if (how === SIG_BLOCK) Atomics.store(w, SigWord.BLOCKED, (old | set) & keep);
    else if (how === SIG_UNBLOCK) Atomics.store(w, SigWord.BLOCKED, old & ~set);
    else if (how === SIG_SETMASK) Atomics.store(w, SigWord.BLOCKED, set & keep);
    else throw new ErrnoError(Errno.EINVAL, `bad sigprocmask how ${how}`);
    this.check();
    return old;
  }

  /** sigpending(2): pending signals (bit n = signal n). */
  pending(): number {
    return Atomics.load(this.#page, SigWord.PENDING);
  }

  /** kill(2) through the host. */
  kill(pid: number, sig: number): void {
    if (!Number.isInteger(sig) || sig < 0 || sig > 31) {
      throw new ErrnoError(Errno.EINVAL, `bad signal ${sig}`);
    }
    try {
      this.pal.call("process_kill", pid, sig);
    } catch (e) {
      throw palToErrno(e);
    }
  }

  /** A safe point: wait while stopped, then run the handlers of pending unblocked signals. */
  check(): void {
    const w = this.#page;
    while (Atomics.load(w, SigWord.STOPPED) === 1) Atomics.wait(w, SigWord.STOPPED, 1, 1000);
    if (this.#delivering) return;
    const ready = Atomics.load(w, SigWord.PENDING) & ~Atomics.load(w, SigWord.BLOCKED);
    if (ready === 0) return;
    this.#delivering = true;
    try {
      this.interrupt?.consume();
      for (let sig = 1; sig < 32; sig++) {
        const bit = 1 << sig;
        if ((ready & bit) === 0) continue;
        Atomics.and(w, SigWord.PENDING, ~bit);
        this.#run(sig);
      }
    } finally {
      this.#delivering = false;
    }
  }

  /** Deliver on event-loop turns too (a pending waitAsync does not keep the loop alive). */
  watch(): void {
    const w = this.#page;
    const loop = () => {
      const seen = Atomics.load(w, SigWord.SEQ);
      this.check();
      const r = Atomics.waitAsync(w, SigWord.SEQ, seen);
      if (r.async) r.value.then(loop);
      else queueMicrotask(loop);
    };
    loop();
  }

  #run(sig: number): void {
    const d = this.#disp.get(sig) ?? "default";
    const listeners = [...(this.#listeners.get(sig) ?? [])];
    if (typeof d === "function") d(sig);
    for (const fn of listeners) fn();
    if (d === "default" && listeners.length === 0) {
      // Pending while blocked, now unblocked and unhandled: the host applies the default.
      this.kill(this.pid, sig);
    }
  }

  #publish(sig: number): void {
    const bit = 1 << sig;
    const d = this.#disp.get(sig) ?? "default";
    const handled = typeof d === "function" || (this.#listeners.get(sig)?.size ?? 0) > 0;
    const w = this.#page;
    if (handled) Atomics.or(w, SigWord.HANDLED, bit);
    else Atomics.and(w, SigWord.HANDLED, ~bit);
    if (d === "ignore" && !handled) Atomics.or(w, SigWord.IGNORED, bit);
    else Atomics.and(w, SigWord.IGNORED, ~bit);
  }
}

/** Make every Sys call a safe point: pending signals are delivered after it; EPIPE raises
 * SIGPIPE (whose default action ends the process). */
export function wrapSys(sys: Sys, sig: Signals): Sys {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(sys) as [string, (...a: unknown[]) => unknown][]) {
    if (typeof fn !== "function" || name === "exit") {
      out[name] = fn;
      continue;
    }
    out[name] = (...args: unknown[]) => {
      let r: unknown;
      try {
        r = fn(...args);
      } catch (e) {
        if (e instanceof ErrnoError && e.errno === Errno.EPIPE) sig.kill(sig.pid, SIG.SIGPIPE);
        sig.check();
        throw e;
      }
      if (r instanceof Promise) {
        return r.then(
          (v) => (sig.check(), v),
          (e) => {
            if (e instanceof ErrnoError && e.errno === Errno.EPIPE) sig.kill(sig.pid, SIG.SIGPIPE);
            sig.check();
            throw e;
          },
        );
      }
      sig.check();
      return r;
    };
  }
  return out as unknown as Sys;
}
