/**
 * The per-process fd table. An fd slot is `{file, cloexec}`; `file` is an open file description
 * (offset and status flags) that dup'd fds share; the description holds one reference to its
 * handle. The lowest free fd is always the one handed out; the table never grows past `maxFds`.
 */
import { Errno, ErrnoError } from "./errno.ts";
import type { Handle } from "./handle.ts";
import { O } from "./sys/types.ts";
import type { SharedDescription } from "./proc/shared_file.ts";

/** An open file description (Linux `struct file`). */
export class OpenFile {
  #offset = 0;
  #atEnd = false;
  #flags: number;
  /** Set once the description is shared with other processes (libos/proc/shared_file.ts). */
  #shared: SharedDescription | null = null;
  #refs = 1;

  /**
   * @param handle the object; the description owns one reference to it
   * @param flags access mode and status flags (O_ACCMODE | O_APPEND | O_NONBLOCK …)
   */
  constructor(readonly handle: Handle, flags: number) {
    this.#flags = flags;
  }

  /** File position in bytes (seekable handles only). */
  get offset(): number {
    return this.#shared ? this.#shared.offset : this.#offset;
  }
  set offset(v: number) {
    if (this.#shared) this.#shared.offset = v;
    else this.#offset = v;
  }
  /** After an O_APPEND write the position is "end of file", learnt lazily with fstat. */
  get offsetAtEnd(): boolean {
    return this.#shared ? this.#shared.offsetAtEnd : this.#atEnd;
  }
  set offsetAtEnd(v: boolean) {
    if (this.#shared) this.#shared.offsetAtEnd = v;
    else this.#atEnd = v;
  }
  /** Access mode and status flags (O_ACCMODE | O_APPEND | O_NONBLOCK …). */
  get flags(): number {
    return this.#shared ? this.#shared.flags : this.#flags;
  }
  set flags(v: number) {
    if (this.#shared) this.#shared.flags = v;
    else this.#flags = v;
  }

  /** The cross-process part of this description, once shared. */
  get shared(): SharedDescription | null {
    return this.#shared;
  }
  /** Move position and flags into `d`, which other processes share from now on. */
  share(d: SharedDescription, copyState: boolean): void {
    if (copyState) {
      d.offset = this.#offset;
      d.offsetAtEnd = this.#atEnd;
      d.flags = this.#flags;
    }
    this.#shared = d;
  }
  /** Run `fn` holding the position lock (a no-op lock while the description is private). */
  positioned<T>(fn: () => T): T {
    return this.#shared ? this.#shared.locked(fn) : fn();
  }

  /** Whether reads are allowed. */
  get readable(): boolean {
    const m = this.flags & O.ACCMODE;
    return m === O.RDONLY || m === O.RDWR;
  }
  /** Whether writes are allowed. */
  get writable(): boolean {
    const m = this.flags & O.ACCMODE;
    return m === O.WRONLY || m === O.RDWR;
  }

  /** Another fd now shares this description. */
  retain(): this {
    this.#refs++;
    return this;
  }
  /** An fd let go; the last one releases the handle. */
  release(): void {
    if (--this.#refs === 0) this.handle.release();
  }
}

/** One fd slot. */
export interface FdSlot {
  readonly file: OpenFile;
  cloexec: boolean;
}

/** The fd table of one picoprocess. */
export class FdTable {
  readonly #slots: (FdSlot | undefined)[] = [];
  #count = 0;

  /** @param maxFds the limit (RLIMIT_NOFILE): fds are 0..maxFds-1 */
  constructor(readonly maxFds: number) {}

  /** Install `file` at the lowest free fd ≥ `min`. @throws {ErrnoError} EMFILE */
  install(file: OpenFile, cloexec = false, min = 0): number {
    for (let fd = min; fd < this.maxFds; fd++) {
      if (this.#slots[fd] === undefined) {
        this.#slots[fd] = { file, cloexec };
        this.#count++;
        return fd;
      }
    }
    throw new ErrnoError(Errno.EMFILE, `all ${this.maxFds} fds are in use`);
  }

  /** The slot of `fd`. @throws {ErrnoError} EBADF */
  slot(fd: number): FdSlot {
    const s = Number.isInteger(fd) && fd >= 0 ? this.#slots[fd] : undefined;
    if (!s) throw new ErrnoError(Errno.EBADF, `bad file descriptor ${fd}`);
    return s;
  }

  /** The open file description of `fd`. @throws {ErrnoError} EBADF */
  get(fd: number): OpenFile {
    return this.slot(fd).file;
  }

  /** Close `fd`. @throws {ErrnoError} EBADF */
  close(fd: number): void {
    const s = this.slot(fd);
    this.#slots[fd] = undefined;
    this.#count--;
    s.file.release();
  }

  /** dup(2): the lowest free fd now shares `fd`'s description. */
  dup(fd: number, min = 0, cloexec = false): number {
    const file = this.get(fd);
    if (!Number.isInteger(min) || min < 0 || min >= this.maxFds) {
      throw new ErrnoError(Errno.EINVAL, `bad minimum fd ${min}`);
    }
    return this.install(file.retain(), cloexec, min);
  }

  /** dup2/dup3: `newfd` now shares `oldfd`'s description (closing what `newfd` had). */
  dupTo(oldfd: number, newfd: number, cloexec = false): number {
    const file = this.get(oldfd);
    if (!Number.isInteger(newfd) || newfd < 0 || newfd >= this.maxFds) {
      throw new ErrnoError(Errno.EBADF, `bad file descriptor ${newfd}`);
    }
    if (oldfd === newfd) return newfd;
    file.retain();
    const old = this.#slots[newfd];
    this.#slots[newfd] = { file, cloexec };
    if (old) {
      try {
        old.file.release();
      } catch (_e) {
        // As dup2(2): an error closing what newfd had (a failed write-behind) is not reported.
      }
    } else this.#count++;
    return newfd;
  }

  /** Open fds in ascending order. */
  fds(): number[] {
    const out: number[] = [];
    this.#slots.forEach((s, i) => s && out.push(i));
    return out;
  }

  /** Number of open fds. */
  get size(): number {
    return this.#count;
  }

  /** Close every fd (exit). */
  closeAll(): void {
    for (const fd of this.fds()) {
      try {
        this.close(fd);
      } catch (_e) {
        // The fd is closed all the same (a close may report a failed write-behind).
      }
    }
  }
}
