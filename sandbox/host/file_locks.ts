/**
 * flock(2) advisory locks among the processes of a sandbox (the libOS's `flock`, Deno's
 * `FsFile.lock`). Calls here: stream_lock.
 *
 * - A lock covers a whole file (a host file's dev and inode, so every name and mount of it) and
 *   is held by an open file description: a host handle, which the processes that share it
 *   after a fork or spawn share, lock included, as on Linux.
 * - Shared (LOCK_SH) or exclusive (LOCK_EX); asking again converts (an upgrade gives the
 *   shared lock up first, as Linux does); LOCK_UN releases; so does the description's last
 *   close, which a process's end makes.
 * - A lock that cannot be had now waits: the call answers when it is granted, to the waiters
 *   in the order they asked. With LOCK_NB it is TRY_AGAIN (EWOULDBLOCK). A signal delivered
 *   to the waiting process interrupts the call (INTERRUPTED → EINTR), as its end does.
 * - The locks live in this host: processes outside the sandbox and other sandboxes do not see
 *   them (Gramine also keeps its file locks inside its instance).
 * @module
 */
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import { LockOp } from "../../pal/abi.ts";
import { type HostHandle, isClosed, whenClosed } from "../../pal/host/handles.ts";
import type { HostProc } from "./proc.ts";

type FileHandle = Extract<HostHandle, { kind: "file" }>;

interface Waiter {
  readonly owner: FileHandle;
  readonly exclusive: boolean;
  readonly grant: () => void;
}

/** Who holds a file's lock, and who waits for it. */
interface FileState {
  readonly shared: Set<FileHandle>;
  exclusive: FileHandle | null;
  readonly queue: Waiter[];
}

/** The flock table of one sandbox host. */
export class FileLocks {
  readonly #files = new Map<string, FileState>();
  /** The file whose lock each description holds. */
  readonly #held = new Map<FileHandle, string>();

  /**
   * flock(h, op) for `caller`: void when done now, a promise when it waits.
   * @throws {PalError} INVAL for a bad op or a handle that is not a file; TRY_AGAIN with LOCK_NB
   */
  flock(caller: HostProc, h: FileHandle, op: number): void | Promise<void> {
    if (!Number.isInteger(op)) throw new PalError(PalCode.INVAL, "flock: bad operation");
    const nb = (op & LockOp.NB) !== 0;
    const what = op & ~LockOp.NB;
    if (what === LockOp.UN) return this.#release(h);
    if (what !== LockOp.SH && what !== LockOp.EX) {
      throw new PalError(PalCode.INVAL, "flock: bad operation");
    }
    const exclusive = what === LockOp.EX;
    const key = fileKey(h);
    const held = this.#held.get(h);
    if (held !== undefined) {
      const now = this.#files.get(held)!;
      if (held === key && (exclusive ? now.exclusive === h : now.shared.has(h))) return;
      // A conversion gives the held lock up first (not atomic, as in Linux); so does a lock
      // on a file replaced under the handle.
      this.#release(h);
    }
    const st = this.#state(key);
    if (st.queue.length === 0 && this.#free(st, exclusive)) {
      this.#take(st, key, h, exclusive);
      return;
    }
    if (nb) {
      this.#drop(key, st);
      throw new PalError(PalCode.TRY_AGAIN, "flock: the file is locked");
    }
    return new Promise<void>((resolve, reject) => {
      const t = caller.tree;
      const cancel = () => {
        const i = st.queue.indexOf(w);
        if (i >= 0) st.queue.splice(i, 1);
        this.#drop(key, st);
        this.#grantWaiters(key, st);
        reject(new PalError(PalCode.INTERRUPTED, "flock interrupted by a signal"));
      };
      const w: Waiter = {
        owner: h,
        exclusive,
        grant: () => {
          t.blocked.delete(cancel);
          resolve();
        },
      };
      st.queue.push(w);
      t.blocked.add(cancel);
    });
  }

  #state(key: string): FileState {
    let st = this.#files.get(key);
    if (!st) this.#files.set(key, st = { shared: new Set(), exclusive: null, queue: [] });
    return st;
  }

  #free(st: FileState, exclusive: boolean): boolean {
    return st.exclusive === null && (!exclusive || st.shared.size === 0);
  }

  #take(st: FileState, key: string, h: FileHandle, exclusive: boolean): void {
    if (exclusive) st.exclusive = h;
    else st.shared.add(h);
    this.#held.set(h, key);
    // The description's last close (its processes' end included) gives the lock back.
    whenClosed(h, () => this.#release(h));
  }

  /** Release what `h` holds, then grant the waiters that can go now, in order. */
  #release(h: FileHandle): void {
    const key = this.#held.get(h);
    if (key === undefined) return;
    this.#held.delete(h);
    const st = this.#files.get(key);
    if (!st) return;
    st.shared.delete(h);
    if (st.exclusive === h) st.exclusive = null;
    this.#grantWaiters(key, st);
    this.#drop(key, st);
  }

  #grantWaiters(key: string, st: FileState): void {
    while (st.queue.length > 0) {
      const w = st.queue[0]!;
      // A description closed while its call waited (its process ended) takes nothing.
      if (!isClosed(w.owner) && !this.#free(st, w.exclusive)) return;
      st.queue.shift();
      if (isClosed(w.owner)) continue;
      this.#take(st, key, w.owner, w.exclusive);
      w.grant();
    }
  }

  /** Forget a file nobody holds or waits for. */
  #drop(key: string, st: FileState): void {
    if (st.exclusive === null && st.shared.size === 0 && st.queue.length === 0) {
      this.#files.delete(key);
    }
  }
}

/** The identity a lock is on: the open file's device and inode. */
function fileKey(h: FileHandle): string {
  const st = h.file.stat();
  return `${st.dev}:${st.ino}`;
}

/** The stream_lock handler over `locks`. */
export function fileLockHandlers(locks: FileLocks): HostHandlers<HostProc> {
  return {
    stream_lock(ctx, h, op) {
      const hd = ctx.owner.handles.get(h);
      if (hd.kind !== "file") throw new PalError(PalCode.INVAL, "flock: not a file");
      return ctx.owner.state === "exited" ? undefined : locks.flock(ctx.owner, hd, op);
    },
  };
}
