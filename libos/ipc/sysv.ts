/**
 * System V IPC for guest programs: message queues, semaphore sets and shared memory segments.
 * The sandbox host keeps ids, keys and removal (sandbox/host/ipc_sysv.ts). A queue or a set is a
 * SharedArrayBuffer the host hands over once per id (`ipc_map`); msgsnd, msgrcv, semop and the
 * semctl value commands then run here without a host call (libos/ipc/sysv_msg.ts, sysv_sem.ts).
 * Shared memory is a SharedArrayBuffer every attached process maps directly.
 * Every call throws `ErrnoError` with Linux's errno.
 * @module
 */
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { currentLibos } from "../libos.ts";
import { MsgQueue } from "./sysv_msg.ts";
import type { FastEnv } from "./sysv_object.ts";
import { SemSet } from "./sysv_sem.ts";
import {
  MSG_BYTES,
  MSG_MAGIC,
  SEM_MAGIC,
  semGeometry,
  SEMMSL,
  WAIT_N,
  WAIT_Z,
} from "./sysv_shared.ts";

/** Flags and commands (Linux values). */
export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
export const IPC_RMID = 0;
export const IPC_STAT = 2;
export const MSG_NOERROR = 0o10000;
export const SEM_UNDO = 0x1000;
export const GETPID = 11;
export const GETVAL = 12;
export const GETALL = 13;
export const GETNCNT = 14;
export const GETZCNT = 15;
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

/** Queues (index 0) and sets (1) this process mapped, by id (ids are never reused). */
const mapped = [new Map<number, MsgQueue | SemSet>(), new Map<number, MsgQueue | SemSet>()];
let life: Int32Array | null = null;

/** Whether this process mapped a System V object (they stay mapped in this Worker). */
export function ipcInUse(): boolean {
  return life !== null || mapped[0]!.size > 0 || mapped[1]!.size > 0;
}

function map(kind: 0 | 1, id: number): MsgQueue | SemSet {
  const have = mapped[kind]!.get(id);
  if (have) {
    if (!have.removed) return have;
    mapped[kind]!.delete(id);
    throw new ErrnoError(Errno.EINVAL, `no IPC object ${id}`);
  }
  const os = pal();
  const n = os.pal.call("ipc_map", kind, id, 0);
  const got = os.pal.takeMessage() as { sab?: unknown; life?: unknown } | null;
  const sab = got?.sab;
  const g = kind === 1 && Number.isInteger(n) && n > 0 && n <= SEMMSL ? semGeometry(n) : null;
  const bytes = kind === 0 ? MSG_BYTES : g?.bytes;
  if (
    !(sab instanceof SharedArrayBuffer) || sab.byteLength !== bytes ||
    !(got?.life instanceof SharedArrayBuffer) || got.life.byteLength < 4 ||
    Atomics.load(new Int32Array(sab), 0) !== (kind === 0 ? MSG_MAGIC : SEM_MAGIC)
  ) throw new ErrnoError(Errno.EIO, "bad IPC mapping from the host");
  life ??= new Int32Array(got.life);
  const env: FastEnv = {
    pid: os.kernel.signals.pid,
    interrupt: os.kernel.signals.interrupt,
    life,
    halt: () => os.vanish(),
  };
  const recover = () => {
    try {
      os.pal.call("ipc_map", kind, id, 1);
    } catch { /* removed meanwhile: the waiter sees it */ }
  };
  const v = g ? new SemSet(sab, env, recover, g) : new MsgQueue(sab, env, recover);
  mapped[kind]!.set(id, v);
  return v;
}

const queue = (id: number) => map(0, id) as MsgQueue;
const semset = (id: number) => map(1, id) as SemSet;

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
  call(() => queue(id).send(type, data, flags));
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
  return call(() => queue(id).receive(type, maxBytes, flags));
}

/** msgctl(2): IPC_STAT or IPC_RMID. */
export function msgctl(id: number, cmd: number): unknown {
  return call(() => {
    const r = pal().pal.call("ipc_msgctl", id, cmd);
    if (cmd === IPC_RMID) mapped[0]!.delete(id);
    return r;
  });
}

/** semget(2). */
export function semget(key: number, nsems: number, flags: number): number {
  return call(() => pal().pal.call("ipc_semget", key, nsems, flags));
}

/** semop(2) / semtimedop(2): all operations or none; EAGAIN on timeout or IPC_NOWAIT. */
export function semop(id: number, ops: SemBuf[], timeoutMs = -1): void {
  if (!Array.isArray(ops)) throw new ErrnoError(Errno.EINVAL, "ops must be an array");
  const norm = ops.map((o) => ({ num: o?.num, op: o?.op, flg: o?.flg ?? 0 }));
  call(() => semset(id).op(norm, timeoutMs));
}

/** semctl(2): GETVAL, SETVAL, GETALL, SETALL, GETPID, GETNCNT, GETZCNT, IPC_STAT, IPC_RMID. */
export function semctl(id: number, num: number, cmd: number, arg: unknown = null): unknown {
  return call(() => {
    switch (cmd) {
      case GETVAL:
        return semset(id).value(num);
      case GETPID:
        return semset(id).pidOf(num);
      case GETNCNT:
        return semset(id).waiters(num, WAIT_N);
      case GETZCNT:
        return semset(id).waiters(num, WAIT_Z);
      case GETALL:
        return semset(id).values();
      case SETVAL: {
        const s = semset(id);
        if (!Number.isInteger(num) || num < 0 || num >= s.g.n) {
          throw new ErrnoError(Errno.EINVAL, "bad semnum");
        }
        return void s.set(num, [arg as number]);
      }
      case SETALL: {
        const s = semset(id);
        if (!Array.isArray(arg) || arg.length !== s.g.n) {
          throw new ErrnoError(Errno.EINVAL, "SETALL needs one value per semaphore");
        }
        return void s.set(0, arg as number[]);
      }
    }
    const r = pal().pal.call("ipc_semctl", id, num, cmd, arg);
    if (cmd === IPC_RMID) mapped[1]!.delete(id);
    return r;
  });
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
