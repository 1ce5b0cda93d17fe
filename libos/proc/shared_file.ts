/**
 * An open file description shared by several picoprocesses (a file fd inherited by spawn, fork
 * or exec). Its position and status flags live in a small SharedArrayBuffer created by the host
 * (`file_share`, sandbox/host/proc_files.ts) and mapped by every process holding it; each
 * process's host handle table binds the same host file. Layout (Int32 words, then a Float64):
 *
 *   [0] LOCK    0 free, else the pid of the holder (the host frees it when that process dies)
 *   [1] FLAGS   access mode and status flags (O_APPEND, O_NONBLOCK)
 *   [2] AT_END  1 after an O_APPEND write: the position is "end of file", learnt lazily
 *   [3] WAITERS processes sleeping on LOCK
 *   bytes 16..24  the position (a Float64: exact up to 2^53), read and written under LOCK
 *
 * Like Linux's f_pos_lock, the lock is held across a whole read, write or lseek, so two
 * processes never use the same position.
 */

/** Size of a description's buffer. */
export const SHARED_FILE_BYTES = 24;
const LOCK = 0, FLAGS = 1, AT_END = 2, WAITERS = 3;

/** The shared part of an open file description. */
export class SharedDescription {
  readonly #i32: Int32Array;
  readonly #pos: Float64Array;

  /**
   * @param sab the description's buffer ({@link SHARED_FILE_BYTES} bytes)
   * @param pid this process's pid (the lock's owner tag)
   */
  constructor(readonly sab: SharedArrayBuffer, readonly pid: number) {
    if (sab.byteLength < SHARED_FILE_BYTES) throw new RangeError("shared file buffer too small");
    this.#i32 = new Int32Array(sab, 0, 4);
    this.#pos = new Float64Array(sab, 16, 1);
  }

  /** The file position. */
  get offset(): number {
    return this.#pos[0]!;
  }
  set offset(v: number) {
    this.#pos[0] = v;
  }

  /** Whether the position is "end of file" (after an O_APPEND write). */
  get offsetAtEnd(): boolean {
    return Atomics.load(this.#i32, AT_END) === 1;
  }
  set offsetAtEnd(v: boolean) {
    Atomics.store(this.#i32, AT_END, v ? 1 : 0);
  }

  /** Access mode and status flags. */
  get flags(): number {
    return Atomics.load(this.#i32, FLAGS);
  }
  set flags(v: number) {
    Atomics.store(this.#i32, FLAGS, v);
  }

  /** Run `fn` holding the description's lock (re-entrant within this process). */
  locked<T>(fn: () => T): T {
    const a = this.#i32;
    if (Atomics.load(a, LOCK) === this.pid) return fn();
    for (;;) {
      const cur = Atomics.compareExchange(a, LOCK, 0, this.pid);
      if (cur === 0) break;
      Atomics.add(a, WAITERS, 1);
      // Timed: a holder that dies is freed by the host, which also wakes us.
      Atomics.wait(a, LOCK, cur, 50);
      Atomics.sub(a, WAITERS, 1);
    }
    try {
      return fn();
    } finally {
      Atomics.store(a, LOCK, 0);
      if (Atomics.load(a, WAITERS) > 0) Atomics.notify(a, LOCK, 1);
    }
  }
}

/** Host side: free the lock of `sab` if the dead process `pid` held it. */
export function releaseIfHeld(sab: SharedArrayBuffer, pid: number): void {
  const a = new Int32Array(sab, 0, 4);
  if (Atomics.compareExchange(a, LOCK, pid, 0) === pid) Atomics.notify(a, LOCK);
}
