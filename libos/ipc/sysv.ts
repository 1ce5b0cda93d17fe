/**
 * System V IPC for guest programs: message queues, semaphore sets and shared memory segments.
 * The objects live in the sandbox host (sandbox/host/ipc_sysv.ts), so they outlive any process;
 * shared memory is a SharedArrayBuffer every attached process maps directly.
 * Every call throws `ErrnoError` with Linux's errno.
 * @module
 */
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { currentLibos } from "../libos.ts";

/** Flags and commands (Linux values). */
export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
export const IPC_RMID = 0;
export const IPC_STAT = 2;
export const MSG_NOERROR = 0o10000;
export const SEM_UNDO = 0x1000;
export const GETVAL = 12;
export const GETALL = 13;
export const SETVAL = 16;
export const SETALL = 17;

/** One semop operation. */
export interface SemBuf {
  /** Semaphore index in the set. */
  num: number;
  /** > 0 add, < 0 wait until it can subtract, 0 wait for zero. */
  op: number;
  /** IPC_NOWAIT | SEM_UNDO. */
  flg?: number;
}

function pal() {
  const os = currentLibos();
  if (!os) throw new ErrnoError(Errno.ENOSYS, "not running inside a Sandpiper picoprocess");
  return os;
}

function call<T>(fn: () => T): T {
  const os = pal();
  try {
    return fn();
  } catch (e) {
    throw palToErrno(e);
  } finally {
    os.kernel.signals.check();
  }
}

/**
 * msgget(2).
 * @param key a key, or IPC_PRIVATE
 * @param flags IPC_CREAT | IPC_EXCL | mode
 * @returns the queue id
 * @throws {ErrnoError} ENOENT, EEXIST
 * @example
 * ```ts ignore
 * import { IPC_CREAT, msgget } from "@sandpiper/sandpiper/libos";
 * const q = msgget(42, IPC_CREAT | 0o600);
 * ```
 */
export function msgget(key: number, flags: number): number {
  return call(() => pal().pal.call("ipc_msgget", key, flags));
}

/** msgsnd(2): queue `data` with `type` (> 0); blocks while the queue is full unless IPC_NOWAIT. */
export function msgsnd(id: number, type: number, data: Uint8Array, flags = 0): void {
  call(() => pal().pal.call("ipc_msgsnd", id, type, data, flags));
}

/**
 * msgrcv(2): the first message of `type` (0 any, > 0 that type, < 0 the lowest type ≤ -type).
 * @returns the message's type and bytes
 * @throws {ErrnoError} ENOMSG (IPC_NOWAIT), E2BIG, EIDRM, EINVAL, EINTR
 */
export function msgrcv(
  id: number,
  maxBytes: number,
  type = 0,
  flags = 0,
): { type: number; data: Uint8Array } {
  return call(() => {
    const raw = pal().pal.call("ipc_msgrcv", id, type, flags, maxBytes + 8);
    const t = new DataView(raw.buffer, raw.byteOffset).getFloat64(0, true);
    return { type: t, data: raw.slice(8) };
  });
}

/** msgctl(2): IPC_STAT or IPC_RMID. */
export function msgctl(id: number, cmd: number): unknown {
  return call(() => pal().pal.call("ipc_msgctl", id, cmd));
}

/** semget(2). */
export function semget(key: number, nsems: number, flags: number): number {
  return call(() => pal().pal.call("ipc_semget", key, nsems, flags));
}

/** semop(2) / semtimedop(2): all operations or none; EAGAIN on timeout or IPC_NOWAIT. */
export function semop(id: number, ops: SemBuf[], timeoutMs = -1): void {
  const norm = ops.map((o) => ({ num: o.num, op: o.op, flg: o.flg ?? 0 }));
  call(() => pal().pal.call("ipc_semop", id, norm, timeoutMs));
}

/** semctl(2): GETVAL, SETVAL, GETALL, SETALL, IPC_STAT, IPC_RMID … */
export function semctl(id: number, num: number, cmd: number, arg: unknown = null): unknown {
  return call(() => pal().pal.call("ipc_semctl", id, num, cmd, arg));
}

/** shmget(2). */
export function shmget(key: number, size: number, flags: number): number {
  return call(() => pal().pal.call("ipc_shmget", key, size, flags));
}

/** shmat(2): the segment's bytes, shared with every process that attached it. */
export function shmat(id: number): Uint8Array {
  return call(() => {
    const os = pal();
    os.pal.call("ipc_shmat", id);
    return new Uint8Array(os.pal.takeMessage() as SharedArrayBuffer);
  });
}

/** shmdt(2). */
export function shmdt(id: number): void {
  call(() => pal().pal.call("ipc_shmdt", id));
}

/** shmctl(2): IPC_STAT or IPC_RMID (destroyed after the last detach). */
export function shmctl(id: number, cmd: number): unknown {
  return call(() => pal().pal.call("ipc_shmctl", id, cmd));
}
