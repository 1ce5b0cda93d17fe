/**
 * msgsnd, msgrcv, semop and the semctl value commands, run in the guest on the object's shared
 * buffer (layout: libos/ipc/sysv_shared.ts) — no host call on the data path. Blocking spins
 * briefly, then sleeps on the change sequence in bounded slices so a handled signal (EINTR),
 * removal (EIDRM), a timeout (EAGAIN) and this process's own end are seen. A lock whose holder
 * stays the same for STALE_MS is reported to the host, which frees it if the holder is dead.
 */
import { AdaptiveSpin, beatWhileBlocked } from "../../pal/futex.ts";
import { Errno, ErrnoError, type ErrnoValue } from "../errno.ts";
import {
  chainOf,
  changed,
  CHUNK,
  DATA,
  FREE,
  H,
  J,
  J_ADJ,
  M,
  MSG_SLOTS,
  MSGMAX,
  MSGMNB,
  NCHUNKS,
  NEXT,
  ORDERS_F64,
  OWNER,
  R_PID,
  R_WKIND,
  R_WNUM,
  READY,
  recoverMsg,
  recoverSem,
  ROW_HDR,
  ROWS,
  S_FIRST,
  S_LEN,
  S_PID,
  S_STATE,
  type SemGeometry,
  SEMOPM,
  SEMVMX,
  SLOT_WORDS,
  TYPES_F64,
  unlock,
  WAIT_N,
  WAIT_Z,
  WRITING,
} from "./sysv_shared.ts";

const IPC_NOWAIT = 0o4000;
const MSG_NOERROR = 0o10000;
const SEM_UNDO = 0x1000;
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

interface OpState {
  waited: boolean;
  deadline: number;
}

const err = (e: ErrnoValue, m: string) => new ErrnoError(e, m);

class SharedObject {
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
      Atomics.wait(a, H.SEQ, seen, Math.min(POLL_MS, Math.max(0, st.deadline - now)));
      Atomics.sub(a, H.SEQWAIT, 1);
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

/** A message queue mapped in this process. */
export class MsgQueue extends SharedObject {
  readonly #f64: Float64Array;
  readonly #u8: Uint8Array;

  constructor(sab: SharedArrayBuffer, env: FastEnv, recover: () => void) {
    super(sab, env, recover);
    this.#f64 = new Float64Array(sab);
    this.#u8 = new Uint8Array(sab);
  }

  override lock(st: OpState): void {
    super.lock(st);
    if (Atomics.load(this.a, H.DIRTY) !== 0) recoverMsg(this.a);
  }

  /** msgsnd(2). */
  send(type: number, data: Uint8Array, flags: number): void {
    if (!Number.isSafeInteger(type) || type <= 0) {
      throw err(Errno.EINVAL, "message type must be > 0");
    }
    if (data.length > MSGMAX) throw err(Errno.EINVAL, `message longer than ${MSGMAX}`);
    const a = this.a, pid = this.env.pid;
    const st: OpState = { waited: false, deadline: Infinity };
    for (;;) {
      this.lock(st);
      let seen = 0, sent = false;
      try {
        if (this.removed) throw this.gone(st);
        sent = this.#put(type, data);
        if (!sent && flags & IPC_NOWAIT) throw err(Errno.EAGAIN, "queue full");
        seen = Atomics.load(a, H.SEQ);
      } finally {
        unlock(a, pid);
      }
      // Announced after unlocking, so a woken receiver finds the lock free.
      if (sent) return changed(a);
      this.waitChange(seen, st);
    }
  }

  #put(type: number, data: Uint8Array): boolean {
    const a = this.a, pid = this.env.pid, len = data.length;
    let cbytes = a[M.CBYTES]!;
    if (!(cbytes >= 0 && cbytes <= MSGMNB)) {
      recoverMsg(a);
      cbytes = a[M.CBYTES]!;
    }
    const qbytes = Math.max(0, Math.min(MSGMNB, a[M.QBYTES]!));
    if (cbytes + len > qbytes) return false;
    // Lowest free slot and chunks: a short queue stays at the front, so scans stay short.
    let s = -1;
    for (let j = 0; j < MSG_SLOTS; j++) {
      if (a[M.SLOTS + j * SLOT_WORDS + S_STATE] === FREE) {
        s = j;
        break;
      }
    }
    if (s < 0) return false;
    const need = Math.ceil(len / CHUNK);
    const chunks: number[] = [];
    for (let c = 0; c < NCHUNKS && chunks.length < need; c++) {
      if (a[OWNER + c] === 0) chunks.push(c);
    }
    if (chunks.length < need) return false;
    const w = M.SLOTS + s * SLOT_WORDS;
    Atomics.store(a, H.DIRTY, pid);
    Atomics.store(a, w + S_STATE, WRITING);
    a[w + S_PID] = pid;
    a[w + S_LEN] = len;
    a[w + S_FIRST] = need > 0 ? chunks[0]! : -1;
    for (let i = 0; i < need; i++) {
      const c = chunks[i]!;
      a[OWNER + c] = s + 1;
      a[NEXT + c] = i + 1 < need ? chunks[i + 1]! : -1;
      const from = i * CHUNK;
      this.#u8.set(data.subarray(from, Math.min(len, from + CHUNK)), DATA + c * CHUNK);
    }
    const order = this.#f64[M.ORDER_F64]!;
    this.#f64[TYPES_F64 + s] = type;
    this.#f64[ORDERS_F64 + s] = order;
    this.#f64[M.ORDER_F64] = Number.isSafeInteger(order) ? order + 1 : 0;
    Atomics.store(a, w + S_STATE, READY); // commit
    a[M.CBYTES] = cbytes + len;
    a[M.QNUM] = Math.max(0, a[M.QNUM]!) + 1;
    a[M.LSPID] = pid;
    Atomics.store(a, H.DIRTY, 0);
    return true;
  }

  /** The slot msgrcv(type) takes, or -1. */
  #find(type: number): number {
    const a = this.a, f = this.#f64;
    const qnum = a[M.QNUM]!;
    if (qnum === 0) return -1;
    let best = -1, bestType = Infinity, bestOrder = Infinity, seen = 0;
    // Stop after QNUM messages (a garbage count only shortens or lengthens a bounded scan).
    for (let s = 0; s < MSG_SLOTS && seen !== qnum; s++) {
      if (a[M.SLOTS + s * SLOT_WORDS + S_STATE] !== READY) continue;
      seen++;
      const t = f[TYPES_F64 + s]!, o = f[ORDERS_F64 + s]!;
      if (type > 0 && t !== type) continue;
      if (type < 0) {
        if (!(t <= -type) || t > bestType || (t === bestType && !(o < bestOrder))) continue;
      } else if (!(o < bestOrder) && best >= 0) continue;
      [best, bestType, bestOrder] = [s, t, o];
    }
    return best;
  }

  /** msgrcv(2). */
  receive(type: number, max: number, flags: number): { type: number; data: Uint8Array } {
    if (!Number.isSafeInteger(type)) throw err(Errno.EINVAL, "bad message type");
    if (!Number.isInteger(max) || max < 0) throw err(Errno.EINVAL, "bad size");
    const a = this.a, pid = this.env.pid;
    const st: OpState = { waited: false, deadline: Infinity };
    for (;;) {
      this.lock(st);
      let seen = 0, got: { type: number; data: Uint8Array } | null = null;
      try {
        if (this.removed) throw this.gone(st);
        const s = this.#find(type);
        if (s >= 0) {
          const w = M.SLOTS + s * SLOT_WORDS;
          const len = a[w + S_LEN]!;
          const chain = chainOf(a, s, len);
          if (!chain) { // garbage: drop it
            Atomics.store(a, w + S_STATE, FREE);
            recoverMsg(a);
            changed(a);
            continue;
          }
          if (len > max && !(flags & MSG_NOERROR)) {
            throw err(Errno.E2BIG, "message longer than the buffer");
          }
          const n = Math.min(len, max);
          const out = new Uint8Array(n);
          for (let i = 0; i * CHUNK < n; i++) {
            const at = DATA + chain[i]! * CHUNK;
            out.set(this.#u8.subarray(at, at + Math.min(CHUNK, n - i * CHUNK)), i * CHUNK);
          }
          const t = this.#f64[TYPES_F64 + s]!;
          Atomics.store(a, H.DIRTY, pid);
          Atomics.store(a, w + S_STATE, FREE); // commit
          for (const c of chain) {
            a[OWNER + c] = 0;
            a[NEXT + c] = -1;
          }
          a[M.CBYTES] = Math.max(0, a[M.CBYTES]! - len);
          a[M.QNUM] = Math.max(0, a[M.QNUM]! - 1);
          a[M.LRPID] = pid;
          Atomics.store(a, H.DIRTY, 0);
          got = { type: t, data: out };
        } else {
          if (flags & IPC_NOWAIT) throw err(Errno.ENOMSG, "no message");
          seen = Atomics.load(a, H.SEQ);
        }
      } finally {
        unlock(a, pid);
      }
      if (got) {
        changed(a);
        return got;
      }
      this.waitChange(seen, st);
    }
  }
}

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
        let seen = 0, done = false;
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
            waiting = true;
            seen = Atomics.load(a, H.SEQ);
          }
        } finally {
          unlock(a, pid);
        }
        if (done) return changed(a);
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
