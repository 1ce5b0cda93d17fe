/**
 * System V message queues in the guest: msgsnd and msgrcv run on the queue's shared buffer
 * (layout: libos/ipc/sysv_shared.ts; locking and waiting: sysv_object.ts) — no host call on the
 * data path.
 * @module
 */
import { Errno } from "../errno.ts";
import {
  chainOf,
  changed,
  CHUNK,
  DATA,
  FREE,
  H,
  M,
  MSG_SLOTS,
  MSGMAX,
  MSGMNB,
  NCHUNKS,
  NEXT,
  ORDERS_F64,
  OWNER,
  READY,
  recoverMsg,
  S_FIRST,
  S_LEN,
  S_PID,
  S_STATE,
  SLOT_WORDS,
  TYPES_F64,
  unlock,
  WRITING,
} from "./sysv_shared.ts";
import {
  err,
  type FastEnv,
  IPC_NOWAIT,
  MSG_NOERROR,
  type OpState,
  SharedObject,
} from "./sysv_object.ts";

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
        // Under the lock: the receiver that makes room sees it and wakes us.
        if (!sent) Atomics.store(a, M.SPACEWAIT, 1);
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
      let seen = 0, got: { type: number; data: Uint8Array } | null = null, wake = false;
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
          wake = Atomics.exchange(a, M.SPACEWAIT, 0) !== 0;
          got = { type: t, data: out };
        } else {
          if (flags & IPC_NOWAIT) throw err(Errno.ENOMSG, "no message");
          seen = Atomics.load(a, H.SEQ);
        }
      } finally {
        unlock(a, pid);
      }
      if (got) {
        if (wake) changed(a);
        return got;
      }
      this.waitChange(seen, st);
    }
  }
}
