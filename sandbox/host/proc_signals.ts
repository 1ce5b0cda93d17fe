/**
 * Signal delivery, host side. The host decides what a signal does from the target's signal page
 * (libos/signal/shared.ts): SIGKILL ends the Worker (host-enforced, whatever the guest does);
 * SIGSTOP stops it at its next safe point; a handled or blocked signal becomes pending (and a
 * handled one interrupts what the process is blocked in: EINTR); an ignored one is dropped; the
 * rest take their default action here — terminate, ignore, stop, continue.
 *
 * The host also keeps the sandbox's signal table (layout in libos/signal/shared.ts), through
 * which processes deliver catchable signals to each other without a host call. The host hands
 * out slots (its own records say who owns which: nothing is read back to decide ownership),
 * clears a slot under its lock before reuse, and while a process is blocked in a host call
 * sleeps on its slot's SEQ word so a signal set there interrupts the call as one the host
 * delivered would. Everything it reads from the table is a number it bounds; no loop over it
 * waits for a guest.
 */
import {
  defaultAction,
  SIG,
  SIG_FLAG_TABLE,
  SIGNAL_TABLE_BYTES,
  SIGNAL_TABLE_SLOTS,
  signalName,
  SigWord,
  SLOT_WORDS,
  SlotWord,
} from "../../libos/signal/shared.ts";
import type { HostProc } from "./proc.ts";
import { macrotaskTurn } from "../../pal/turn.ts";

/** What delivery needs from the sandbox host. */
export interface SignalHost {
  endProcess(p: HostProc, code: number, signal: string | null): void;
}

/** CAS attempts the host makes on a slot lock before it gives that slot up for now. */
const LOCK_TRIES = 256;
/** Signals 1..31 (bit 0 is not a signal). */
const SIGNAL_BITS = ~1;

/** A sandbox host's signal table: slot allocation and the host's view of the words. */
export class SignalTable {
  readonly sab = new SharedArrayBuffer(SIGNAL_TABLE_BYTES);
  readonly #w = new Int32Array(this.sab);
  /** Slot owners by the host's own records. */
  readonly #owner: (HostProc | null)[] = new Array(SIGNAL_TABLE_SLOTS).fill(null);
  #enabled = true;

  /** Whether processes may still use the table (false once a process split). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Int32 view of the table (host side). */
  get words(): Int32Array {
    return this.#w;
  }

  #lock(slot: number): boolean {
    const i = slot * SLOT_WORDS + SlotWord.LOCK;
    for (let n = 0; n < LOCK_TRIES; n++) {
      if (Atomics.compareExchange(this.#w, i, 0, 1) === 0) return true;
    }
    return false;
  }

  /** Give `p` a free slot (cleared under its lock) and say so on its page; none when full. */
  assign(p: HostProc): void {
    if (p.tree.slot >= 0) return;
    const page = p.tree.signals;
    Atomics.store(page, SigWord.SLOT, -1);
    Atomics.and(page, SigWord.FLAGS, ~SIG_FLAG_TABLE);
    if (!this.#enabled) return;
    // Lowest free slot first (a freed slot is reused at once: senders check PID under LOCK).
    for (let s = 0; s < SIGNAL_TABLE_SLOTS; s++) {
      // A slot whose lock a guest keeps is skipped (tried again next time).
      if (this.#owner[s] !== null || !this.#lock(s)) continue;
      const b = s * SLOT_WORDS;
      for (let k = 2; k < SLOT_WORDS; k++) Atomics.store(this.#w, b + k, 0);
      Atomics.store(this.#w, b + SlotWord.PID, p.pid);
      Atomics.store(this.#w, b + SlotWord.LOCK, 0);
      this.#owner[s] = p;
      p.tree.slot = s;
      Atomics.store(page, SigWord.SLOT, s);
      Atomics.or(page, SigWord.FLAGS, SIG_FLAG_TABLE);
      syncMirrors(p);
      return;
    }
  }

  /** `p` ended: its slot stops naming it (senders then go to the host); reused after a clean. */
  release(p: HostProc): void {
    const s = p.tree.slot;
    if (s < 0 || this.#owner[s] !== p) return;
    this.#owner[s] = null;
    p.tree.slot = -1;
    const b = s * SLOT_WORDS;
    Atomics.store(this.#w, b + SlotWord.PID, 0);
    // Wake a host watcher still sleeping on it.
    Atomics.add(this.#w, b + SlotWord.SEQ, 1);
    Atomics.notify(this.#w, b + SlotWord.SEQ);
  }

  /**
   * A process split into a new sandbox: it keeps this table mapped, so from now on no process
   * of this host reads or writes it (every page's TABLE flag off; watchers re-arm on the page).
   */
  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    for (let s = 0; s < SIGNAL_TABLE_SLOTS; s++) {
      const p = this.#owner[s];
      if (!p) continue;
      const page = p.tree.signals;
      Atomics.and(page, SigWord.FLAGS, ~SIG_FLAG_TABLE);
      Atomics.add(page, SigWord.SEQ, 1);
      Atomics.notify(page, SigWord.SEQ);
      const b = s * SLOT_WORDS;
      Atomics.add(this.#w, b + SlotWord.SEQ, 1);
      Atomics.notify(this.#w, b + SlotWord.SEQ);
    }
  }

  /** Pending bits of `p`'s slot (0 when it has none or the table is off). */
  pendingOf(p: HostProc): number {
    const s = p.tree.slot;
    if (!this.#enabled || s < 0 || this.#owner[s] !== p) return 0;
    return Atomics.load(this.#w, s * SLOT_WORDS + SlotWord.PENDING) & SIGNAL_BITS;
  }
}

const tables = new WeakMap<object, SignalTable>();

/** The signal table of sandbox host `host` (made at first use). */
export function signalTableOf(host: object): SignalTable {
  let t = tables.get(host);
  if (!t) tables.set(host, t = new SignalTable());
  return t;
}

/** Copy `p`'s dispositions and mask from its page to its slot (what senders read). */
export function syncMirrors(p: HostProc): void {
  const t = p.tree.sigTable;
  const s = p.tree.slot;
  if (!t || s < 0) return;
  const page = p.tree.signals, w = t.words, b = s * SLOT_WORDS;
  Atomics.store(w, b + SlotWord.HANDLED, Atomics.load(page, SigWord.HANDLED));
  Atomics.store(w, b + SlotWord.IGNORED, Atomics.load(page, SigWord.IGNORED));
  Atomics.store(w, b + SlotWord.BLOCKED, Atomics.load(page, SigWord.BLOCKED));
}

function setStopped(p: HostProc, on: boolean): void {
  const s = p.tree.signals;
  Atomics.store(s, SigWord.STOPPED, on ? 1 : 0);
  Atomics.notify(s, SigWord.STOPPED);
}

/** EINTR: raise the token and cancel every host call `p` is blocked in. */
function interruptCalls(p: HostProc): void {
  p.tree.interrupt.raise();
  for (const cancel of [...p.tree.blocked]) cancel();
  p.tree.blocked.clear();
}

function makePending(p: HostProc, sig: number, interrupt: boolean): void {
  const s = p.tree.signals;
  Atomics.or(s, SigWord.PENDING, 1 << sig);
  Atomics.add(s, SigWord.SEQ, 1);
  Atomics.notify(s, SigWord.SEQ);
  const t = p.tree.sigTable;
  if (t?.enabled && p.tree.slot >= 0) {
    // The guest's event loop sleeps on the slot's SEQ while it uses the table.
    const i = p.tree.slot * SLOT_WORDS + SlotWord.SEQ;
    Atomics.add(t.words, i, 1);
    Atomics.notify(t.words, i);
  }
  if (interrupt) interruptCalls(p);
}

/** Interrupt `p`'s blocked host calls if a handled, unblocked signal is pending for it. */
function interruptIfReady(p: HostProc): void {
  if (p.state === "exited" || p.tree.blocked.size === 0) return;
  const page = p.tree.signals;
  const pending = Atomics.load(page, SigWord.PENDING) | (p.tree.sigTable?.pendingOf(p) ?? 0);
  const ready = pending & Atomics.load(page, SigWord.HANDLED) &
    ~Atomics.load(page, SigWord.BLOCKED) & SIGNAL_BITS;
  if (ready !== 0) interruptCalls(p);
}

const armed = new WeakSet<HostProc>();

/** While `p` is blocked in a host call, sleep on its slot's SEQ: a sender may set PENDING. */
function armSlotWatch(p: HostProc): void {
  const t = p.tree.sigTable;
  if (armed.has(p) || !t?.enabled || p.tree.slot < 0) return;
  const i = p.tree.slot * SLOT_WORDS + SlotWord.SEQ;
  const r = Atomics.waitAsync(t.words, i, Atomics.load(t.words, i));
  armed.add(p);
  const again = () => {
    armed.delete(p);
    interruptIfReady(p);
    if (p.state !== "exited" && p.tree.blocked.size > 0) armSlotWatch(p);
  };
  // A changed word answers at once: re-check on a macrotask, so a guest bumping SEQ in a loop
  // cannot keep the host in microtasks.
  if (r.async) r.value.then(again);
  else macrotaskTurn(again);
}

/**
 * `p` just blocked in a host call: watch its slot, so a handled signal set there while it is
 * blocked interrupts the call (as one the host delivers does). A signal that became pending
 * before the call blocked is left for the next safe point, as on the host path: the libOS does
 * not nest handlers, and a handler retrying a call on EINTR would otherwise never get through.
 */
export function blockedInHost(p: HostProc): void {
  armSlotWatch(p);
}

/** Deliver signal `sig` (1..31; 0 only checks) to `p`. */
export function deliver(host: SignalHost, p: HostProc, sig: number): void {
  if (sig === 0 || p.state === "exited") return;
  const bit = 1 << sig;
  const s = p.tree.signals;
  if (sig === SIG.SIGKILL) {
    host.endProcess(p, 128 + sig, "SIGKILL");
    return;
  }
  if (sig === SIG.SIGSTOP) {
    setStopped(p, true);
    return;
  }
  if (sig === SIG.SIGCONT) setStopped(p, false);
  const handled = (Atomics.load(s, SigWord.HANDLED) & bit) !== 0;
  const ignored = (Atomics.load(s, SigWord.IGNORED) & bit) !== 0;
  const blocked = (Atomics.load(s, SigWord.BLOCKED) & bit) !== 0;
  if (ignored && !handled) return;
  if (handled || blocked) {
    makePending(p, sig, handled && !blocked);
    return;
  }
  switch (defaultAction(sig)) {
    case "terminate":
      host.endProcess(p, 128 + sig, signalName(sig));
      return;
    case "stop":
      setStopped(p, true);
      return;
    case "ignore":
    case "continue":
      return;
  }
}
