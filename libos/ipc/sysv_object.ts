/**
 * The shared base of System V objects mapped in a guest (message queues in sysv_msg.ts,
 * semaphore sets in sysv_sem.ts): what the fast path needs from its process (FastEnv), the
 * per-call state (OpState), the flag and timing constants, and SharedObject — taking the
 * object's lock word, waiting on its change sequence, and asking the host to recover a lock whose
 * holder stays the same for STALE_MS (layout: libos/ipc/sysv_shared.ts). Blocking spins briefly,
 * then sleeps in bounded slices so a handled signal (EINTR), removal (EIDRM), a timeout (EAGAIN)
 * and this process's own end are seen.
 * @module
 */
import { AdaptiveSpin, beatWhileBlocked } from "../../pal/futex.ts";
import { Errno, ErrnoError, type ErrnoValue } from "../errno.ts";
import { H, unlock } from "./sysv_shared.ts";

export const IPC_NOWAIT = 0o4000;
export const MSG_NOERROR = 0o10000;
export const SEM_UNDO = 0x1000;
/**
 * This thread's sleeps waiting for an object to change (`waitChange`: a blocked msgsnd, msgrcv
 * or semop), and those that ran out their slice although the object had changed by then: a
 * wake-up that never came (a changer that skipped its notify). Every changer wakes all such
 * sleepers, and a merely slow one still wakes them, so `late` stays near 0 unless wake-ups are
 * lost (tests/proc/sysv_fast_test.ts counts them instead of timing the hand-overs).
 */
export const sysvSleeps = { slept: 0, late: 0 };

/** Spin for a lock before sleeping (holders keep it for about a µs). */
const SPIN_MS = 0.05;
/** Longest sleep between checks of signals, removal and the deadline. */
const POLL_MS = 10;
/** A lock held this long by the same holder is reported to the host. */
const STALE_MS = 100;

/** What the fast path needs from its process. */
export interface FastEnv {
  readonly pid: number;
  /** Pending when a handled signal should end a blocked call (EINTR). */
  readonly interrupt: { readonly pending: boolean } | null;
  /** `[0]` becomes 1 when the host ended this process (a Worker runs on after terminate()). */
  readonly life: Int32Array;
  /** Never returns: this process is over. */
  halt(): never;
}

export interface OpState {
  waited: boolean;
  deadline: number;
}

export const err = (e: ErrnoValue, m: string) => new ErrnoError(e, m);

export class SharedObject {
  readonly a: Int32Array;
  readonly #spin = new AdaptiveSpin();
  /**
   * @param recover asks the host to free the lock if its holder is not a live process
   */
  constructor(
    readonly sab: SharedArrayBuffer,
    readonly env: FastEnv,
    readonly recover: () => void,
  ) {
    this.a = new Int32Array(sab);
  }

  get removed(): boolean {
    return Atomics.load(this.a, H.REMOVED) !== 0;
  }

  /** Fail or end as a blocked call must: this process ended, EIDRM, EINTR, EAGAIN. */
  check(st: OpState): void {
    if (Atomics.load(this.env.life, 0) !== 0) this.env.halt();
    if (this.removed) throw err(Errno.EIDRM, "removed");
    if (this.env.interrupt?.pending) throw err(Errno.EINTR, "interrupted by a signal");
    if (performance.now() >= st.deadline) throw err(Errno.EAGAIN, "timed out");
  }

  lock(st: OpState): void {
    const a = this.a, pid = this.env.pid;
    if (Atomics.compareExchange(a, H.LOCK, 0, pid) !== 0) this.#lockSlow(st);
    if (Atomics.load(this.env.life, 0) !== 0) {
      unlock(a, pid);
      this.env.halt();
    }
  }

  #lockSlow(st: OpState): void {
    const a = this.a, pid = this.env.pid;
    const spinEnd = performance.now() + SPIN_MS;
    do {
      if (Atomics.load(a, H.LOCK) === 0 && Atomics.compareExchange(a, H.LOCK, 0, pid) === 0) {
        return;
      }
    } while (performance.now() < spinEnd);
    let holder = 0, since = performance.now();
    for (;;) {
      const cur = Atomics.compareExchange(a, H.LOCK, 0, pid);
      if (cur === 0) return;
      st.waited = true;
      this.check(st);
      const now = performance.now();
      if (cur !== holder) [holder, since] = [cur, now];
      else if (now - since > STALE_MS) {
        this.recover();
        since = now;
      }
      beatWhileBlocked();
      Atomics.add(a, H.LOCKWAIT, 1);
      Atomics.wait(a, H.LOCK, cur, Math.min(POLL_MS, Math.max(0, st.deadline - now)));
      Atomics.sub(a, H.LOCKWAIT, 1);
    }
  }

  /**
   * After unlocking: wait until SEQ leaves `seen` (or a slice passes), then check. The spin
   * adapts like a pipe's (pal/futex.ts AdaptiveSpin): a peer that answers just after a sleep
   * lengthens the next spin, so two processes ping-ponging stay awake.
   */
  waitChange(seen: number, st: OpState): void {
    const a = this.a;
    const t0 = performance.now();
    if (!this.#spin.spin(a, H.SEQ, seen)) {
      this.check(st);
      beatWhileBlocked();
      Atomics.add(a, H.SEQWAIT, 1);
      const now = performance.now();
      const r = Atomics.wait(a, H.SEQ, seen, Math.min(POLL_MS, Math.max(0, st.deadline - now)));
      Atomics.sub(a, H.SEQWAIT, 1);
      sysvSleeps.slept++;
      if (r === "timed-out" && Atomics.load(a, H.SEQ) !== seen) sysvSleeps.late++;
      this.#spin.slept(performance.now() - t0);
    }
    st.waited = true;
    this.check(st);
  }

  /** At the start of an operation: a removed object's id is gone (EINVAL). */
  gone(st: OpState): ErrnoError {
    return st.waited ? err(Errno.EIDRM, "removed") : err(Errno.EINVAL, "no such IPC object");
  }
}
