/**
 * System V message queues and semaphore sets in shared memory: the layout of their
 * SharedArrayBuffers and the code both sides use on them. The sandbox host
 * (sandbox/host/ipc_sysv.ts) creates each buffer, hands it to a picoprocess once per id
 * (`ipc_map`) and keeps keys, ids, modes and removal; msgsnd, msgrcv, semop and the semctl
 * value commands run in the guest (libos/ipc/sysv_msg.ts, sysv_sem.ts) under the object's lock word.
 *
 * Every word is untrusted: any process of the sandbox may write anything. Every index and
 * length is bounded when read, the host copies and clamps what it reads, never waits on a guest
 * and never loops longer than the geometry it chose. Garbage can break the sandbox's own IPC,
 * never the host or another sandbox.
 *
 * Common header (Int32 words):
 *
 *   [0] MAGIC     MSG_MAGIC or SEM_MAGIC (host-written)
 *   [1] LOCK      0 free, else the holder's pid (HOST_LOCK: the host, only synchronously)
 *   [2] LOCKWAIT  processes sleeping on LOCK
 *   [5] REMOVED   1 once IPC_RMID removed the object (host-written): waiters fail with EIDRM
 *   [6] DIRTY     msg: pid of a sender/receiver between its first and last write (recovery)
 *   [24] SEQ      bumped and notified on every change a waiter may be waiting for (and by the
 *                 host on removal or repair); msg: a receiver bumps it only while SPACEWAIT is set
 *   [25] SEQWAIT  processes sleeping on SEQ
 *
 * SEQ and SEQWAIT sit in the second 64-byte line of the header, away from LOCK and the
 * counters: a waiter spinning on SEQ does not pull the line the lock holder writes through its
 * whole operation (msgsnd/msgrcv round trips: median 3.3–4.8 µs against 4.3–5.3 µs with SEQ at
 * word 3, three runs each).
 *
 * Message queue (MSG_BYTES bytes; MSG_SLOTS messages, data in CHUNK-byte chunks):
 *
 *   [7] QBYTES  byte limit (msg_qbytes, host-written)   [8] CBYTES  bytes queued
 *   [9] QNUM    messages queued   [10] LSPID  [11] LRPID
 *   [12] SPACEWAIT  1 while a sender waits for room: the next receiver clears it and bumps SEQ
 *                   (a receiver no sender waits for wakes nobody: the ping-pong peer keeps
 *                   spinning instead of retrying for nothing)
 *   bytes 64..72     next order number (Float64): messages are FIFO by it
 *   slot words       MSG_SLOTS × [state (FREE/WRITING/READY), writer pid, length, first chunk]
 *   Float64 types    MSG_SLOTS    Float64 orders   MSG_SLOTS
 *   chunk owner      NCHUNKS words: 0 free, else slot + 1
 *   chunk next       NCHUNKS words: the next chunk of the same message, -1 at the end
 *   data             NCHUNKS × CHUNK bytes
 *
 * A sender (under LOCK) marks DIRTY, takes a FREE slot as WRITING, claims chunks, copies, then
 * commits with one store (state READY) and updates the counters. A receiver copies out, commits
 * with one store (state FREE), then frees the chunks. `recoverMsg` rebuilds everything else
 * from the READY slots whose chunk chains check out (a half-written message is dropped).
 *
 * Semaphore set of n semaphores (semGeometry(n) gives the offsets):
 *
 *   [7] JSTATE  0, or the pid whose journal is committed but maybe not applied
 *   [8] JROW    process row the journal's adjustments go to, -1 none   [9] JCOUNT entries
 *   [10] WAITMASK  bit (k mod 32) set while a semop waits on semaphore k: a semop that changes
 *                  semaphore k clears the bit and bumps SEQ; one that changes no watched
 *                  semaphore wakes nobody
 *   journal     J = max(SEMOPM, n) entries × [semnum | J_ADJ?, new value, new adjustment]
 *   values      n words;  pids  n words (last pid to change each)
 *   rows        ROWS × [pid, waiting semnum, waiting kind (1 ncnt, 2 zcnt), 0, adj × n]
 *
 * A semop (under LOCK) computes the new absolute values, writes the journal, commits with one
 * store (JSTATE = pid), applies, then clears JSTATE: `recoverSem` replays a committed journal
 * (idempotent). A row holds one process's SEM_UNDO adjustments and what it is blocked on
 * (GETNCNT, GETZCNT); the host applies and frees a dead process's row.
 */

export const MSG_MAGIC = 0x4d534731;
export const SEM_MAGIC = 0x53454d31;
/** The host's lock tag (pids are positive). */
export const HOST_LOCK = -1;

export const H = {
  MAGIC: 0,
  LOCK: 1,
  LOCKWAIT: 2,
  SEQ: 24,
  SEQWAIT: 25,
  REMOVED: 5,
  DIRTY: 6,
} as const;

/** Largest message and default queue size (msgmax, msgmnb). */
export const MSGMAX = 8192;
export const MSGMNB = 16384;
/** Most messages a queue holds. */
export const MSG_SLOTS = 256;
/** Bytes per data chunk, and chunks per queue. */
export const CHUNK = 32;
export const NCHUNKS = 1024;

export const M = {
  QBYTES: 7,
  CBYTES: 8,
  QNUM: 9,
  LSPID: 10,
  LRPID: 11,
  SPACEWAIT: 12,
  /** Float64 index of the next order number. */
  ORDER_F64: 8,
  /** First slot word; each slot is SLOT_WORDS words. */
  SLOTS: 32,
} as const;
export const SLOT_WORDS = 4;
export const S_STATE = 0, S_PID = 1, S_LEN = 2, S_FIRST = 3;
export const FREE = 0, WRITING = 1, READY = 2;
/** Float64 index of slot types and orders; Int32 index of chunk owner and next. */
export const TYPES_F64 = (M.SLOTS + MSG_SLOTS * SLOT_WORDS) / 2;
export const ORDERS_F64 = TYPES_F64 + MSG_SLOTS;
export const OWNER = (ORDERS_F64 + MSG_SLOTS) * 2;
export const NEXT = OWNER + NCHUNKS;
/** Byte offset of chunk data. */
export const DATA = (NEXT + NCHUNKS) * 4;
/** Size of a queue's buffer. */
export const MSG_BYTES = DATA + NCHUNKS * CHUNK;

/** Semaphore limits (semvmx, semmsl, semopm) and process rows per set. */
export const SEMVMX = 32767;
export const SEMMSL = 250;
export const SEMOPM = 32;
export const ROWS = 64;
export const J = { STATE: 7, ROW: 8, COUNT: 9, START: 32 } as const;
/** Word of a set's wait mask (see the layout above). */
export const SEM_WAITMASK = 10;
/** Journal entry flag: the entry's adjustment goes to JROW. */
export const J_ADJ = 0x10000;
export const ROW_HDR = 4;
export const R_PID = 0, R_WNUM = 1, R_WKIND = 2;
export const WAIT_N = 1, WAIT_Z = 2;

/** Word offsets of a set of `n` semaphores. */
export interface SemGeometry {
  n: number;
  /** Journal capacity. */
  jmax: number;
  vals: number;
  pids: number;
  rows: number;
  /** Words per row. */
  row: number;
  bytes: number;
}

export function semGeometry(n: number): SemGeometry {
  const jmax = Math.max(SEMOPM, n);
  const vals = J.START + 3 * jmax;
  const pids = vals + n;
  const rows = pids + n;
  const row = ROW_HDR + n;
  return { n, jmax, vals, pids, rows, row, bytes: (rows + ROWS * row) * 4 };
}

/** Host: a new queue's buffer. */
export function createMsgSab(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(MSG_BYTES);
  const a = new Int32Array(sab);
  a[H.MAGIC] = MSG_MAGIC;
  a[M.QBYTES] = MSGMNB;
  a.fill(-1, NEXT, NEXT + NCHUNKS);
  return sab;
}

/** Host: a new set's buffer. */
export function createSemSab(n: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(semGeometry(n).bytes);
  const a = new Int32Array(sab);
  a[H.MAGIC] = SEM_MAGIC;
  a[J.ROW] = -1;
  return sab;
}

/** Bump the change sequence and wake its sleepers. */
export function changed(a: Int32Array): void {
  Atomics.add(a, H.SEQ, 1);
  if (Atomics.load(a, H.SEQWAIT) !== 0) Atomics.notify(a, H.SEQ);
}

/** Release a lock held as `tag` (a compare-exchange: a lock taken over by the host stays). */
export function unlock(a: Int32Array, tag: number): void {
  Atomics.compareExchange(a, H.LOCK, tag, 0);
  if (Atomics.load(a, H.LOCKWAIT) !== 0) Atomics.notify(a, H.LOCK, 1);
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/**
 * Chunks of slot `s` in order, or null when its chain does not check out (wrong owner, out of
 * range, too short or too long). Bounded by the message length.
 */
export function chainOf(a: Int32Array, s: number, len: number): number[] | null {
  if (!(len >= 0 && len <= MSGMAX)) return null;
  const need = Math.ceil(len / CHUNK);
  const out: number[] = [];
  let c = a[M.SLOTS + s * SLOT_WORDS + S_FIRST]!;
  for (let i = 0; i < need; i++) {
    if (!(c >= 0 && c < NCHUNKS) || a[OWNER + c] !== s + 1) return null;
    out.push(c);
    c = a[NEXT + c]!;
  }
  return out;
}

/**
 * Rebuild a queue after its lock holder died or left DIRTY set (caller holds the lock): drop
 * WRITING and broken slots, free every chunk no READY slot owns, recount. Bounded: one pass
 * over the slots and chunks.
 */
export function recoverMsg(a: Int32Array): void {
  const owned = new Uint8Array(NCHUNKS);
  let qnum = 0, cbytes = 0;
  for (let s = 0; s < MSG_SLOTS; s++) {
    const w = M.SLOTS + s * SLOT_WORDS;
    if (a[w + S_STATE] === FREE) continue;
    const len = a[w + S_LEN]!;
    const chain = a[w + S_STATE] === READY ? chainOf(a, s, len) : null;
    if (!chain) {
      Atomics.store(a, w + S_STATE, FREE);
      continue;
    }
    for (const c of chain) owned[c] = 1;
    qnum++;
    cbytes += len;
  }
  for (let c = 0; c < NCHUNKS; c++) {
    if (!owned[c]) {
      a[OWNER + c] = 0;
      a[NEXT + c] = -1;
    }
  }
  a[M.QNUM] = qnum;
  a[M.CBYTES] = cbytes;
  Atomics.store(a, H.DIRTY, 0);
}

/** Host: the queue's message count and bytes, counted from its slots (copied, clamped). */
export function msgCounts(a: Int32Array): { qnum: number; cbytes: number } {
  let qnum = 0, cbytes = 0;
  for (let s = 0; s < MSG_SLOTS; s++) {
    const w = M.SLOTS + s * SLOT_WORDS;
    if (Atomics.load(a, w + S_STATE) !== READY) continue;
    qnum++;
    cbytes += clamp(a[w + S_LEN]! | 0, 0, MSGMAX);
  }
  // A real queue never holds more than MSGMNB bytes; more is garbage.
  return { qnum, cbytes: Math.min(cbytes, MSGMNB) };
}

/** Replay a committed semop journal (caller holds the lock); entries are checked and clamped. */
export function recoverSem(a: Int32Array, g: SemGeometry): void {
  if (Atomics.load(a, J.STATE) === 0) return;
  const count = a[J.COUNT]!;
  const row = a[J.ROW]!;
  const rowOk = row >= 0 && row < ROWS;
  const pid = Atomics.load(a, J.STATE);
  if (count > 0 && count <= g.jmax) {
    for (let i = 0; i < count; i++) {
      const e = J.START + 3 * i;
      const raw = a[e]!;
      const num = raw & 0xffff;
      if (raw < 0 || num >= g.n) continue;
      a[g.vals + num] = clamp(a[e + 1]! | 0, 0, SEMVMX);
      a[g.pids + num] = pid;
      if (rowOk && (raw & J_ADJ)) {
        a[g.rows + row * g.row + ROW_HDR + num] = clamp(a[e + 2]! | 0, -SEMVMX, SEMVMX);
      }
    }
  }
  Atomics.store(a, J.STATE, 0);
}

/** Host: copies of the set's values (clamped), for IPC_STAT-like reads. */
export function semValues(a: Int32Array, g: SemGeometry): number[] {
  const out: number[] = [];
  for (let i = 0; i < g.n; i++) out.push(clamp(Atomics.load(a, g.vals + i) | 0, 0, SEMVMX));
  return out;
}

/**
 * Apply and free the rows of dead process `pid` (caller holds the lock). @returns whether it
 * had any
 */
export function semUndo(a: Int32Array, g: SemGeometry, pid: number): boolean {
  let any = false;
  for (let r = 0; r < ROWS; r++) {
    const w = g.rows + r * g.row;
    if (Atomics.load(a, w + R_PID) !== pid) continue;
    any = true;
    for (let i = 0; i < g.n; i++) {
      const adj = clamp(a[w + ROW_HDR + i]! | 0, -SEMVMX, SEMVMX);
      if (adj !== 0) a[g.vals + i] = clamp((a[g.vals + i]! | 0) + adj, 0, SEMVMX);
      a[w + ROW_HDR + i] = 0;
    }
    a[w + R_WNUM] = 0;
    a[w + R_WKIND] = 0;
    Atomics.store(a, w + R_PID, 0);
  }
  return any;
}

/** Whether any row of `pid` exists (no lock needed: a read). */
export function semHasRow(a: Int32Array, g: SemGeometry, pid: number): boolean {
  for (let r = 0; r < ROWS; r++) {
    if (Atomics.load(a, g.rows + r * g.row + R_PID) === pid) return true;
  }
  return false;
}
