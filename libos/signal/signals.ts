/**
 * Signals, guest side: dispositions (default, ignore, a handler), the mask, pending signals, and
 * delivery at safe points — after every libOS call (`wrapSys`) and on event-loop turns (a
 * waitAsync on the signal page's sequence word, or its slot's in the signal table). The host
 * picks the action from the page (libos/signal/shared.ts); the libOS runs handlers, waits while
 * stopped, and re-raises a signal it had blocked once it is unblocked and has no handler (so the
 * host applies the default).
 *
 * kill() of a catchable signal that the target handles or blocks is delivered here, without the
 * host, through the sandbox's signal table: OR the bit into the target's slot and notify.
 */
import { lazyProto } from "../lazy_proto.ts";
import type { PalClient } from "../../pal/guest/client.ts";
import {
  BEAT_SLICE_MS,
  beatWhileBlocked,
  type Interrupt,
  type InterruptLike,
} from "../../pal/futex.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import type { Sys } from "../sys/types.ts";
import {
  SIG,
  SIG_FLAG_TABLE,
  SIGNAL_PAGE_BYTES,
  SIGNAL_TABLE_BYTES,
  SIGNAL_TABLE_SLOTS,
  SigWord,
  SLOT_WORDS,
  SlotWord,
} from "./shared.ts";

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

/** The interrupt a blocked guest wait checks (EINTR); `consume` clears the host's token. */
export interface SignalInterrupt extends InterruptLike {
  consume(): boolean;
}

/** Signals 1..31 (bit 0 of a table word is not a signal). */
const SIGNAL_BITS = ~1;
/** CAS attempts on a busy slot lock before kill() asks the host instead. */
const LOCK_TRIES = 1000;
/** Signals the table never carries: the host enforces them. */
const HOST_ONLY = (1 << SIG.SIGKILL) | (1 << SIG.SIGSTOP) | (1 << SIG.SIGCONT);

/** The signal state of one picoprocess. */
export class Signals {
  readonly #page: Int32Array;
  readonly #disp = new Map<number, Disposition>();
  readonly #listeners = new Map<number, Set<() => void>>();
  #delivering = false;
  #watching = false;
  /** The word `watch` waits on, while it waits. */
  #watched: [Int32Array, number] | null = null;
  /** The sandbox's signal table, and the first word of this process's slot in it. */
  #table: Int32Array | null = null;
  #base = 0;
  /** Slot of a pid, as last found (checked against the slot's PID word on every use). */
  readonly #slots = new Map<number, number>();
  /** Raised for a handled signal (EINTR): the host's token, or a handled signal in the slot. */
  readonly interrupt: SignalInterrupt | null;
  /** The host's retire word (SigWord.RETIRE) when it gave a signal page, else null. */
  readonly retire: Int32Array | null;

  /**
   * @param pal the PAL client (kill, signal_table)
   * @param pid this process's pid
   * @param page the host's signal page (a private one when the host gave none)
   * @param token the token the host raises for a handled signal (EINTR)
   * @param table the signal table and slot the host sent with the init message (checked like
   *   the answer of `signal_table`, which is asked when absent)
   */
  constructor(
    readonly pal: PalClient,
    readonly pid: number,
    page: SharedArrayBuffer | undefined,
    token: Interrupt | null,
    table?: { readonly sab: unknown; readonly slot: unknown },
  ) {
    this.#page = new Int32Array(page ?? new SharedArrayBuffer(SIGNAL_PAGE_BYTES), 0, 8);
    this.retire = page && page.byteLength >= SIGNAL_PAGE_BYTES
      ? new Int32Array(page, SigWord.RETIRE * 4, 1)
      : null;
    if (page) this.#attachTable(table);
    const slotReady = () => this.#slotReady();
    this.interrupt = token || this.#table
      ? {
        get pending() {
          return (token?.pending ?? false) || slotReady() !== 0;
        },
        consume: () => token?.consume() ?? false,
      }
      : null;
  }

  /** Map the sandbox's signal table when the host put this process in it. */
  #attachTable(given?: { readonly sab: unknown; readonly slot: unknown }): void {
    const w = this.#page;
    if ((Atomics.load(w, SigWord.FLAGS) & SIG_FLAG_TABLE) === 0) return;
    let slot: unknown;
    let sab: unknown;
    if (given) {
      ({ slot, sab } = given);
    } else {
      try {
        slot = this.pal.call("signal_table");
        if ((slot as number) < 0) return;
        sab = this.pal.takeMessage();
      } catch {
        return; // no table: every kill goes to the host
      }
    }
    if (
      !(sab instanceof SharedArrayBuffer) || sab.byteLength < SIGNAL_TABLE_BYTES ||
      !Number.isInteger(slot) || (slot as number) < 0 || (slot as number) >= SIGNAL_TABLE_SLOTS
    ) return;
    const t = new Int32Array(sab, 0, SIGNAL_TABLE_BYTES / 4);
    this.#table = t;
    this.#base = (slot as number) * SLOT_WORDS;
    this.#mirror(SlotWord.HANDLED, Atomics.load(w, SigWord.HANDLED));
    this.#mirror(SlotWord.IGNORED, Atomics.load(w, SigWord.IGNORED));
    this.#mirror(SlotWord.BLOCKED, Atomics.load(w, SigWord.BLOCKED));
  }

  /** Whether the table is in use (the host turns it off for good when a process splits). */
  #tableOn(): boolean {
    return this.#table !== null && (Atomics.load(this.#page, SigWord.FLAGS) & SIG_FLAG_TABLE) !== 0;
  }

  #mirror(word: number, v: number): void {
    if (this.#table) Atomics.store(this.#table, this.#base + word, v);
  }

  /** Pending bits in this process's slot (0 when the table is off). */
  #slotPending(): number {
    if (!this.#tableOn()) return 0;
    // The table never carries SIGKILL/SIGSTOP/SIGCONT (nor bit 0): such bits are garbage.
    return Atomics.load(this.#table!, this.#base + SlotWord.PENDING) & SIGNAL_BITS & ~HOST_ONLY;
  }

  /** Handled, unblocked signals pending in the slot: a blocked guest wait ends with EINTR. */
  #slotReady(): number {
    const p = this.#slotPending();
    if (p === 0) return 0;
    const w = this.#page;
    return p & Atomics.load(w, SigWord.HANDLED) & ~Atomics.load(w, SigWord.BLOCKED);
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
    let next: number;
    if (how === SIG_BLOCK) next = (old | set) & keep;
    else if (how === SIG_UNBLOCK) next = old & ~set;
    else if (how === SIG_SETMASK) next = set & keep;
    else throw new ErrnoError(Errno.EINVAL, `bad sigprocmask how ${how}`);
    Atomics.store(w, SigWord.BLOCKED, next);
    this.#mirror(SlotWord.BLOCKED, next);
    this.check();
    return old;
  }

  /** sigpending(2): pending signals (bit n = signal n). */
  pending(): number {
    return Atomics.load(this.#page, SigWord.PENDING) | this.#slotPending();
  }

  /** kill(2): through the signal table when it can, else through the host. */
  kill(pid: number, sig: number): void {
    if (!Number.isInteger(sig) || sig < 0 || sig > 31) {
      throw new ErrnoError(Errno.EINVAL, `bad signal ${sig}`);
    }
    if (this.#tableKill(pid, sig)) return;
    try {
      this.pal.call("process_kill", pid, sig);
    } catch (e) {
      throw palToErrno(e);
    }
  }

  /**
   * Deliver `sig` to `pid` through its slot. @returns false when the host must do it (default
   * actions, SIGKILL/SIGSTOP/SIGCONT, groups, a pid without a slot, a busy slot lock)
   */
  #tableKill(pid: number, sig: number): boolean {
    if (sig === 0 || (HOST_ONLY & (1 << sig)) !== 0 || !Number.isInteger(pid) || pid <= 0) {
      return false;
    }
    if (!this.#tableOn()) return false;
    const t = this.#table!;
    let slot = this.#slots.get(pid) ?? -1;
    if (slot < 0 || Atomics.load(t, slot * SLOT_WORDS + SlotWord.PID) !== pid) {
      slot = -1;
      for (let s = 0; s < SIGNAL_TABLE_SLOTS; s++) {
        if (Atomics.load(t, s * SLOT_WORDS + SlotWord.PID) === pid) {
          slot = s;
          break;
        }
      }
      if (slot < 0) {
        this.#slots.delete(pid);
        return false;
      }
      this.#slots.set(pid, slot);
    }
    const b = slot * SLOT_WORDS;
    const lock = b + SlotWord.LOCK;
    let held = false;
    for (let i = 0; i < LOCK_TRIES && !held; i++) {
      held = Atomics.compareExchange(t, lock, 0, 1) === 0;
    }
    if (!held) return false;
    const bit = 1 << sig;
    try {
      // Under the lock the host cannot hand the slot to another process.
      if (Atomics.load(t, b + SlotWord.PID) !== pid) return false;
      const handled = (Atomics.load(t, b + SlotWord.HANDLED) & bit) !== 0;
      const blocked = (Atomics.load(t, b + SlotWord.BLOCKED) & bit) !== 0;
      if (!handled && (Atomics.load(t, b + SlotWord.IGNORED) & bit) !== 0) return true;
      if (!handled && !blocked) return false;
      Atomics.or(t, b + SlotWord.PENDING, bit);
      Atomics.add(t, b + SlotWord.SEQ, 1);
    } finally {
      Atomics.store(t, lock, 0);
    }
    Atomics.notify(t, b + SlotWord.SEQ);
    return true;
  }

  /** A safe point: wait while stopped, then run the handlers of pending unblocked signals. */
  check(): void {
    const w = this.#page;
    while (Atomics.load(w, SigWord.STOPPED) === 1) {
      beatWhileBlocked();
      Atomics.wait(w, SigWord.STOPPED, 1, BEAT_SLICE_MS);
    }
    if (this.#delivering) return;
    const slotPending = this.#slotPending();
    const ready = (Atomics.load(w, SigWord.PENDING) | slotPending) &
      ~Atomics.load(w, SigWord.BLOCKED);
    if (ready === 0) return;
    this.#delivering = true;
    try {
      this.interrupt?.consume();
      for (let sig = 1; sig < 32; sig++) {
        const bit = 1 << sig;
        if ((ready & bit) === 0) continue;
        Atomics.and(w, SigWord.PENDING, ~bit);
        if (slotPending & bit) Atomics.and(this.#table!, this.#base + SlotWord.PENDING, ~bit);
        this.#run(sig);
      }
    } finally {
      this.#delivering = false;
    }
  }

  /** Deliver on event-loop turns too (a pending waitAsync does not keep the loop alive). */
  watch(): void {
    this.#watching = true;
    const loop = () => {
      if (!this.#watching) return;
      // While the table is on, the host and senders both bump the slot's SEQ.
      const on = this.#tableOn();
      const w = on ? this.#table! : this.#page;
      const i = on ? this.#base + SlotWord.SEQ : SigWord.SEQ;
      const seen = Atomics.load(w, i);
      this.check();
      this.#watched = [w, i];
      const r = Atomics.waitAsync(w, i, seen);
      if (r.async) r.value.then(loop);
      else queueMicrotask(loop);
    };
    loop();
  }

  /**
   * Stop watching (the Worker is recycled for another process, libos.ts): the pending wait is
   * woken, so it holds nothing of this process. Spurious wakes are harmless to other waiters.
   */
  unwatch(): void {
    this.#watching = false;
    const got = this.#watched;
    this.#watched = null;
    if (got) Atomics.notify(got[0], got[1]);
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
    this.#mirror(SlotWord.HANDLED, Atomics.load(w, SigWord.HANDLED));
    this.#mirror(SlotWord.IGNORED, Atomics.load(w, SigWord.IGNORED));
  }
}

/** Where a wrapped Sys (see `wrapSys`) keeps what it wraps. */
const RAW = Symbol("sys");
const SIGS = Symbol("signals");
type Wrapped = Record<string, unknown> & { [RAW]: Sys; [SIGS]: Signals };

/** The prototype of wrapped Sys objects: an accessor per method (made once per Worker). */
let wrappedProto: object | null = null;

/**
 * Make every Sys call a safe point: pending signals are delivered after it; EPIPE raises
 * SIGPIPE (whose default action ends the process).
 *
 * A method is wrapped when it is first read: the prototype's accessor makes the wrapper and
 * defines it on the object as an ordinary property (so it may be taken off the object and
 * called alone). A process uses a few of the ~77 methods, and wrapping them all cost each
 * boot ~33 KB and tens of µs (measured in a recycled Worker).
 */
export function wrapSys(sys: Sys, sig: Signals): Sys {
  wrappedProto ??= makeLazyProto(methodNames(sys));
  const out = Object.create(wrappedProto) as Wrapped;
  out[RAW] = sys;
  out[SIGS] = sig;
  // A Sys with a method the prototype lacks (none today: every Sys comes from createSys) gets
  // that one wrapped now.
  for (const name in sys) {
    if (!(name in wrappedProto)) out[name] = wrapMember(sys, name, sig);
  }
  return out as unknown as Sys;
}

/** The enumerable method names of `sys`, its prototype's too (createSys makes them lazily). */
function methodNames(sys: Sys): string[] {
  const names: string[] = [];
  for (const name in sys) names.push(name);
  return names;
}

function makeLazyProto(names: readonly string[]): object {
  return lazyProto<Wrapped>(names, (o, name) => wrapMember(o[RAW], name, o[SIGS]));
}

/** `sys[name]` as a safe point (`exit` and anything that is no function as they are). */
function wrapMember(sys: Sys, name: string, sig: Signals): unknown {
  const fn = (sys as unknown as Record<string, unknown>)[name];
  return typeof fn !== "function" || name === "exit"
    ? fn
    : wrapOne(name, fn as (...a: unknown[]) => unknown, sig);
}

/** The safe-point wrapper of one Sys method. */
function wrapOne(
  name: string,
  fn: (...a: unknown[]) => unknown,
  sig: Signals,
): (...a: unknown[]) => unknown {
  const failed = (e: unknown): never => {
    if (e instanceof ErrnoError && e.errno === Errno.EPIPE) sig.kill(sig.pid, SIG.SIGPIPE);
    sig.check();
    throw e;
  };
  if (name === "read" || name === "write") {
    // The pipe round trip's path: fixed arity, no rest array, never a promise.
    const rw = fn as (fd: number, buf: Uint8Array) => number;
    return ((fd: number, buf: Uint8Array) => {
      let r: number;
      try {
        r = rw(fd, buf);
      } catch (e) {
        return failed(e);
      }
      sig.check();
      return r;
    }) as (...a: unknown[]) => unknown;
  }
  return (...args: unknown[]) => {
    let r: unknown;
    try {
      r = fn(...args);
    } catch (e) {
      return failed(e);
    }
    if (r instanceof Promise) {
      return r.then(
        (v) => (sig.check(), v),
        (e) => failed(e),
      );
    }
    sig.check();
    return r;
  };
}
