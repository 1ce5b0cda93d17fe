/**
 * System V semaphore sets in the guest: semop, semtimedop and the semctl value commands run on
 * the set's shared buffer (layout and journal: libos/ipc/sysv_shared.ts; locking and waiting:
 * sysv_object.ts) — no host call on the data path.
 * @module
 */
import { Errno } from "../errno.ts";
import {
  changed,
  H,
  J,
  J_ADJ,
  R_PID,
  R_WKIND,
  R_WNUM,
  recoverSem,
  ROW_HDR,
  ROWS,
  SEM_WAITMASK,
  type SemGeometry,
  SEMOPM,
  SEMVMX,
  unlock,
  WAIT_N,
  WAIT_Z,
} from "./sysv_shared.ts";
import {
  err,
  type FastEnv,
  IPC_NOWAIT,
  type OpState,
  SEM_UNDO,
  SharedObject,
} from "./sysv_object.ts";

/** One semop operation (normalized). */
export interface SemOp {
  num: number;
  op: number;
  flg: number;
}

/** A semaphore set mapped in this process. */
export class SemSet extends SharedObject {
  #row = -1;

  constructor(
    sab: SharedArrayBuffer,
    env: FastEnv,
    recover: () => void,
    readonly g: SemGeometry,
  ) {
    super(sab, env, recover);
  }

  override lock(st: OpState): void {
    super.lock(st);
    if (Atomics.load(this.a, J.STATE) !== 0) recoverSem(this.a, this.g);
  }

  /** This process's row (claimed under the lock when `claim`), or -1. */
  #myRow(claim: boolean): number {
    const a = this.a, g = this.g, pid = this.env.pid;
    if (this.#row >= 0 && a[g.rows + this.#row * g.row + R_PID] === pid) return this.#row;
    this.#row = -1;
    let free = -1;
    for (let r = 0; r < ROWS; r++) {
      const p = a[g.rows + r * g.row + R_PID];
      if (p === pid) return this.#row = r;
      if (p === 0 && free < 0) free = r;
    }
    if (!claim || free < 0) return -1;
    const w = g.rows + free * g.row;
    a.fill(0, w + 1, w + g.row);
    Atomics.store(a, w + R_PID, pid);
    return this.#row = free;
  }

  #setWait(num: number, kind: number): void {
    const r = kind === 0 ? this.#myRow(false) : this.#myRow(true);
    if (r < 0) return;
    const w = this.g.rows + r * this.g.row;
    Atomics.store(this.a, w + R_WNUM, num);
    Atomics.store(this.a, w + R_WKIND, kind);
  }

  /** semop(2) / semtimedop(2). */
  op(ops: SemOp[], timeoutMs: number): void {
    const g = this.g, a = this.a, pid = this.env.pid;
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > SEMOPM) {
      throw err(Errno.E2BIG, "bad number of operations");
    }
    for (const o of ops) {
      const ok = Number.isInteger(o.num) && o.num >= 0 && o.num < g.n &&
        Number.isInteger(o.op) && Math.abs(o.op) <= SEMVMX && Number.isInteger(o.flg);
      if (!ok) throw err(Errno.EFBIG, "bad semaphore operation");
    }
    const undo = ops.some((o) => o.flg & SEM_UNDO && o.op !== 0);
    const nowait = ops.some((o) => o.flg & IPC_NOWAIT);
    const st: OpState = {
      waited: false,
      deadline: timeoutMs >= 0 ? performance.now() + timeoutMs : Infinity,
    };
    const val = new Map<number, number>(), adj = new Map<number, number>();
    let waiting = false;
    try {
      for (;;) {
        this.lock(st);
        let seen = 0, done = false, wake = false;
        try {
          if (this.removed) throw this.gone(st);
          const row = undo ? this.#myRow(true) : -1;
          if (undo && row < 0) throw err(Errno.ENOSPC, "no room for SEM_UNDO");
          const rw = g.rows + row * g.row + ROW_HDR;
          val.clear();
          adj.clear();
          let blockNum = -1, blockKind = 0;
          for (let i = 0; i < ops.length; i++) {
            const o = ops[i]!;
            let v = val.get(o.num) ?? Math.max(0, Math.min(SEMVMX, a[g.vals + o.num]!));
            if (o.op === 0 ? v !== 0 : v + o.op < 0) {
              [blockNum, blockKind] = [o.num, o.op === 0 ? WAIT_Z : WAIT_N];
              break;
            }
            v += o.op;
            if (v > SEMVMX) throw err(Errno.ERANGE, "semaphore overflow");
            val.set(o.num, v);
            const e = J.START + 3 * i;
            a[e] = o.num;
            a[e + 1] = v;
            if (o.flg & SEM_UNDO && o.op !== 0) {
              const d = (adj.get(o.num) ?? a[rw + o.num]!) - o.op;
              if (Math.abs(d) > SEMVMX) throw err(Errno.ERANGE, "undo adjustment overflow");
              adj.set(o.num, d);
              a[e] = o.num | J_ADJ;
              a[e + 2] = d;
            }
          }
          if (blockNum < 0) {
            let mask = 0;
            for (const o of ops) if (o.op !== 0) mask |= 1 << (o.num & 31);
            wake = (Atomics.and(a, SEM_WAITMASK, ~mask) & mask) !== 0;
            a[J.ROW] = row;
            a[J.COUNT] = ops.length;
            Atomics.store(a, J.STATE, pid); // commit
            recoverSem(a, g); // apply the journal
            if (waiting) this.#setWait(0, 0);
            waiting = false;
            done = true;
          } else {
            if (nowait) throw err(Errno.EAGAIN, "would block");
            this.#setWait(blockNum, blockKind);
            // Under the lock: the semop that changes this semaphore sees the bit and wakes us.
            Atomics.or(a, SEM_WAITMASK, 1 << (blockNum & 31));
            waiting = true;
            seen = Atomics.load(a, H.SEQ);
          }
        } finally {
          unlock(a, pid);
        }
        if (done) {
          if (wake) changed(a);
          return;
        }
        this.waitChange(seen, st);
      }
    } finally {
      if (waiting) this.#setWait(0, 0);
    }
  }

  #locked<T>(fn: () => T): T {
    const st: OpState = { waited: false, deadline: Infinity };
    this.lock(st);
    try {
      if (this.removed) throw this.gone(st);
      return fn();
    } finally {
      unlock(this.a, this.env.pid);
    }
  }

  #num(num: number): void {
    if (!Number.isInteger(num) || num < 0 || num >= this.g.n) {
      throw err(Errno.EINVAL, "bad semnum");
    }
  }

  /** GETVAL. */
  value(num: number): number {
    this.#num(num);
    if (this.removed) throw err(Errno.EINVAL, "removed");
    return Math.max(0, Math.min(SEMVMX, Atomics.load(this.a, this.g.vals + num)));
  }

  /** GETPID. */
  pidOf(num: number): number {
    this.#num(num);
    if (this.removed) throw err(Errno.EINVAL, "removed");
    return Atomics.load(this.a, this.g.pids + num);
  }

  /** GETALL. */
  values(): number[] {
    return this.#locked(() => {
      const out: number[] = [];
      for (let i = 0; i < this.g.n; i++) {
        out.push(Math.max(0, Math.min(SEMVMX, this.a[this.g.vals + i]!)));
      }
      return out;
    });
  }

  /** GETNCNT (kind WAIT_N) or GETZCNT (WAIT_Z): processes blocked on `num`. */
  waiters(num: number, kind: number): number {
    this.#num(num);
    if (this.removed) throw err(Errno.EINVAL, "removed");
    let n = 0;
    for (let r = 0; r < ROWS; r++) {
      const w = this.g.rows + r * this.g.row;
      if (
        Atomics.load(this.a, w + R_PID) !== 0 && Atomics.load(this.a, w + R_WKIND) === kind &&
        Atomics.load(this.a, w + R_WNUM) === num
      ) n++;
    }
    return n;
  }

  /** SETVAL / SETALL: `vals` indexed from `first`; undo adjustments of those are cleared. */
  set(first: number, vals: number[]): void {
    const g = this.g, a = this.a, pid = this.env.pid;
    if (vals.some((x) => !Number.isInteger(x) || x < 0 || x > SEMVMX)) {
      throw err(Errno.ERANGE, "bad value");
    }
    this.#locked(() => {
      vals.forEach((v, i) => {
        const e = J.START + 3 * i;
        a[e] = first + i;
        a[e + 1] = v;
      });
      a[J.ROW] = -1;
      a[J.COUNT] = vals.length;
      Atomics.store(a, J.STATE, pid); // commit
      recoverSem(a, g);
      for (let r = 0; r < ROWS; r++) {
        const w = g.rows + r * g.row + ROW_HDR + first;
        a.fill(0, w, w + vals.length);
      }
      changed(a);
    });
  }
}
