/**
 * System V IPC objects of one sandbox, kept by the host (trusted, never killed by a guest): so
 * a process dying at any moment leaves every queue, set and segment intact, and its SEM_UNDO
 * adjustments are applied by the host. Ids are per sandbox; another sandbox's id is EINVAL.
 * Blocking operations are promises the host settles; a handled signal rejects them (EINTR).
 */
import { PalCode, PalError } from "../../pal/errors.ts";

/** ipc flags (Linux values). */
export const IPC = {
  PRIVATE: 0,
  CREAT: 0o1000,
  EXCL: 0o2000,
  NOWAIT: 0o4000,
  RMID: 0,
  SET: 1,
  STAT: 2,
} as const;
/** msgrcv: truncate a too-long message instead of E2BIG. */
export const MSG_NOERROR = 0o10000;
/** semop: undo the operation when the process exits. */
export const SEM_UNDO = 0x1000;
/** semctl commands. */
export const SEMCTL = {
  GETPID: 11,
  GETVAL: 12,
  GETALL: 13,
  GETNCNT: 14,
  GETZCNT: 15,
  SETVAL: 16,
  SETALL: 17,
} as const;

/** Largest message and queue (msgmax, msgmnb). */
export const MSGMAX = 8192;
export const MSGMNB = 16384;
const SEMVMX = 32767;
const SEMMSL = 250;
const SHMMAX = 64 << 20;

interface Blocked {
  retry: () => boolean;
  reject: (e: PalError) => void;
}

interface Base {
  readonly id: number;
  readonly key: number;
  mode: number;
  removed: boolean;
  readonly waiters: Blocked[];
}
interface MsgQueue extends Base {
  readonly msgs: { type: number; data: Uint8Array }[];
  bytes: number;
}
interface SemSet extends Base {
  readonly vals: number[];
  readonly pids: number[];
}
interface Shm extends Base {
  readonly sab: SharedArrayBuffer;
  readonly attached: Map<number, number>;
}

/** One semop operation. */
export interface SemOp {
  num: number;
  op: number;
  flg: number;
}

function einval(what: string): PalError {
  return new PalError(PalCode.INVAL, what);
}

class Table<T extends Base> {
  readonly byId = new Map<number, T>();
  readonly byKey = new Map<number, T>();
  #next = 1;

  get(key: number, flags: number, make: (id: number) => T): number {
    if (!Number.isSafeInteger(key)) throw einval("bad key");
    if (key !== IPC.PRIVATE) {
      const o = this.byKey.get(key);
      if (o) {
        if ((flags & IPC.CREAT) && (flags & IPC.EXCL)) throw new PalError(PalCode.EXISTS, "exists");
        return o.id;
      }
      if (!(flags & IPC.CREAT)) throw new PalError(PalCode.NOT_FOUND, `no object with key ${key}`);
    }
    const o = make(this.#next++);
    this.byId.set(o.id, o);
    if (key !== IPC.PRIVATE) this.byKey.set(key, o);
    return o.id;
  }

  find(id: number): T {
    const o = this.byId.get(id);
    if (!o || o.removed) throw einval(`no IPC object ${id}`);
    return o;
  }

  remove(o: T): void {
    o.removed = true;
    this.byId.delete(o.id);
    if (this.byKey.get(o.key) === o) this.byKey.delete(o.key);
    for (const w of o.waiters.splice(0)) w.reject(new PalError(PalCode.ID_REMOVED, "removed"));
  }
}

/** Retry blocked operations of `o` until none can proceed. */
function wake(o: Base): void {
  for (let progress = true; progress;) {
    progress = false;
    for (const w of [...o.waiters]) {
      if (w.retry()) {
        o.waiters.splice(o.waiters.indexOf(w), 1);
        progress = true;
      }
    }
  }
}

/** Block on `o` until `attempt` returns a value; `cancels` gets the EINTR hook. */
function block<R>(
  o: Base,
  attempt: () => R | undefined,
  timeoutMs: number,
  cancels: Set<() => void>,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      cancels.delete(cancel);
    };
    const w: Blocked = {
      retry: () => {
        const r = attempt();
        if (r === undefined) return false;
        done();
        resolve(r);
        return true;
      },
      reject: (e) => {
        done();
        reject(e);
      },
    };
    const drop = (e: PalError) => {
      const i = o.waiters.indexOf(w);
      if (i >= 0) o.waiters.splice(i, 1);
      w.reject(e);
    };
    const cancel = () => drop(new PalError(PalCode.INTERRUPTED, "interrupted by a signal"));
    cancels.add(cancel);
    if (timeoutMs >= 0) {
      timer = setTimeout(() => drop(new PalError(PalCode.TRY_AGAIN, "timed out")), timeoutMs);
    }
    o.waiters.push(w);
  });
}

/** The sandbox's IPC namespace. */
export class SysV {
  readonly msg = new Table<MsgQueue>();
  readonly sem = new Table<SemSet>();
  readonly shm = new Table<Shm>();
  /** pid → sem id → per-semaphore adjustment. */
  readonly #undo = new Map<number, Map<number, number[]>>();

  msgget(key: number, flags: number): number {
    return this.msg.get(key, flags, (id) => ({
      id,
      key,
      mode: flags & 0o777,
      removed: false,
      waiters: [],
      msgs: [],
      bytes: 0,
    }));
  }

  msgsnd(id: number, type: number, data: Uint8Array, flags: number, cancels: Set<() => void>) {
    const q = this.msg.find(id);
    if (!Number.isSafeInteger(type) || type <= 0) throw einval("message type must be > 0");
    if (data.length > MSGMAX) throw einval(`message longer than ${MSGMAX}`);
    const put = () => {
      if (q.bytes + data.length > MSGMNB) return undefined;
      q.msgs.push({ type, data: data.slice() });
      q.bytes += data.length;
      return true;
    };
    if (put()) return void wake(q);
    if (flags & IPC.NOWAIT) throw new PalError(PalCode.TRY_AGAIN, "queue full");
    return block(q, put, -1, cancels).then(() => void wake(q));
  }

  msgrcv(
    id: number,
    type: number,
    flags: number,
    out: Uint8Array,
    cancels: Set<() => void>,
  ): number | Promise<number> {
    const q = this.msg.find(id);
    const max = out.length - 8;
    if (max < 0) throw einval("buffer too small");
    const take = (): number | undefined => {
      let i = -1;
      if (type === 0) i = q.msgs.length ? 0 : -1;
      else if (type > 0) i = q.msgs.findIndex((m) => m.type === type);
      else {
        let best = Infinity;
        q.msgs.forEach((m, j) => {
          if (m.type <= -type && m.type < best) [best, i] = [m.type, j];
        });
      }
      if (i < 0) return undefined;
      const m = q.msgs[i]!;
      if (m.data.length > max && !(flags & MSG_NOERROR)) {
        throw new PalError(PalCode.TOO_BIG, "message longer than the buffer");
      }
      q.msgs.splice(i, 1);
      q.bytes -= m.data.length;
      const n = Math.min(m.data.length, max);
      new DataView(out.buffer, out.byteOffset).setFloat64(0, m.type, true);
      out.set(m.data.subarray(0, n), 8);
      return 8 + n;
    };
    const r = take();
    if (r !== undefined) {
      wake(q);
      return r;
    }
    if (flags & IPC.NOWAIT) throw new PalError(PalCode.NO_MESSAGE, "no message");
    return block(q, take, -1, cancels).then((n) => (wake(q), n));
  }

  msgctl(id: number, cmd: number): unknown {
    const q = this.msg.find(id);
    if (cmd === IPC.RMID) return void this.msg.remove(q);
    if (cmd === IPC.STAT) return { key: q.key, mode: q.mode, qnum: q.msgs.length, cbytes: q.bytes };
    throw einval(`bad msgctl command ${cmd}`);
  }

  semget(key: number, nsems: number, flags: number): number {
    if (!Number.isInteger(nsems) || nsems < 0 || nsems > SEMMSL) throw einval("bad nsems");
    const id = this.sem.get(key, flags, (id) => {
      if (nsems === 0) throw einval("nsems must be > 0 to create");
      return {
        id,
        key,
        mode: flags & 0o777,
        removed: false,
        waiters: [],
        vals: new Array(nsems).fill(0),
        pids: new Array(nsems).fill(0),
      };
    });
    if (nsems > this.sem.find(id).vals.length) throw einval("set has fewer semaphores");
    return id;
  }

  semop(pid: number, id: number, ops: SemOp[], timeoutMs: number, cancels: Set<() => void>) {
    const s = this.sem.find(id);
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > 32) throw einval("bad ops");
    for (const o of ops) {
      const ok = Number.isInteger(o?.num) && o.num >= 0 && o.num < s.vals.length &&
        Number.isInteger(o.op) && Math.abs(o.op) <= SEMVMX && Number.isInteger(o.flg ?? 0);
      if (!ok) throw new PalError(PalCode.TOO_BIG, "bad semaphore operation");
    }
    const apply = (): true | undefined => {
      const v = [...s.vals];
      for (const o of ops) {
        if (o.op === 0 && v[o.num] !== 0) return undefined;
        if (v[o.num]! + o.op < 0) return undefined;
        v[o.num]! += o.op;
        if (v[o.num]! > SEMVMX) throw new PalError(PalCode.TOO_BIG, "semaphore overflow");
      }
      for (const o of ops) {
        s.vals[o.num] = v[o.num]!;
        s.pids[o.num] = pid;
        if ((o.flg ?? 0) & SEM_UNDO && o.op !== 0) {
          this.#adjust(pid, id, s.vals.length, o.num, -o.op);
        }
      }
      return true;
    };
    if (apply()) return void wake(s);
    if (ops.some((o) => (o.flg ?? 0) & IPC.NOWAIT)) {
      throw new PalError(PalCode.TRY_AGAIN, "would block");
    }
    return block(s, apply, timeoutMs, cancels).then(() => void wake(s));
  }

  #adjust(pid: number, id: number, n: number, num: number, delta: number): void {
    let m = this.#undo.get(pid);
    if (!m) this.#undo.set(pid, m = new Map());
    let a = m.get(id);
    if (!a) m.set(id, a = new Array(n).fill(0));
    a[num]! += delta;
  }

  semctl(id: number, num: number, cmd: number, arg: unknown): unknown {
    const s = this.sem.find(id);
    const check = () => {
      if (!Number.isInteger(num) || num < 0 || num >= s.vals.length) throw einval("bad semnum");
    };
    switch (cmd) {
      case IPC.RMID:
        this.sem.remove(s);
        for (const m of this.#undo.values()) m.delete(id);
        return null;
      case IPC.STAT:
        return { key: s.key, mode: s.mode, nsems: s.vals.length };
      case SEMCTL.GETVAL:
        check();
        return s.vals[num];
      case SEMCTL.GETPID:
        check();
        return s.pids[num];
      case SEMCTL.GETALL:
        return [...s.vals];
      case SEMCTL.GETNCNT:
      case SEMCTL.GETZCNT:
        return s.waiters.length;
      case SEMCTL.SETVAL: {
        check();
        if (!Number.isInteger(arg) || (arg as number) < 0 || (arg as number) > SEMVMX) {
          throw einval("bad value");
        }
        s.vals[num] = arg as number;
        for (const m of this.#undo.values()) {
          const a = m.get(id);
          if (a) a[num] = 0;
        }
        wake(s);
        return null;
      }
      case SEMCTL.SETALL: {
        const a = arg as unknown[];
        if (
          !Array.isArray(a) || a.length !== s.vals.length ||
          a.some((x) => !Number.isInteger(x) || (x as number) < 0 || (x as number) > SEMVMX)
        ) throw einval("bad values");
        a.forEach((x, i) => (s.vals[i] = x as number));
        for (const m of this.#undo.values()) m.delete(id);
        wake(s);
        return null;
      }
    }
    throw einval(`bad semctl command ${cmd}`);
  }

  shmget(key: number, size: number, flags: number): number {
    if (!Number.isInteger(size) || size < 0 || size > SHMMAX) throw einval("bad size");
    const id = this.shm.get(key, flags, (id) => {
      if (size === 0) throw einval("size must be > 0 to create");
      return {
        id,
        key,
        mode: flags & 0o777,
        removed: false,
        waiters: [],
        sab: new SharedArrayBuffer(size),
        attached: new Map(),
      };
    });
    if (size > this.shm.find(id).sab.byteLength) throw einval("segment is smaller");
    return id;
  }

  /** Segments the embedding app revoked (sandbox/host/revoke.ts): shmat answers REVOKED. */
  readonly revokedShm = new Set<number>();

  /** pid → attach count of live segment `id`; undefined when there is no such segment. */
  shmHolders(id: number): ReadonlyMap<number, number> | undefined {
    return this.shm.byId.get(id)?.attached;
  }

  shmat(pid: number, id: number): SharedArrayBuffer {
    if (this.revokedShm.has(id)) throw new PalError(PalCode.REVOKED, `segment ${id} was revoked`);
    const m = this.shm.find(id);
    m.attached.set(pid, (m.attached.get(pid) ?? 0) + 1);
    return m.sab;
  }

  shmdt(pid: number, id: number): void {
    const m = this.shm.byId.get(id) ?? [...this.#destroyed].find((x) => x.id === id);
    const n = m?.attached.get(pid) ?? 0;
    if (!m || n === 0) throw einval(`segment ${id} is not attached`);
    if (n === 1) m.attached.delete(pid);
    else m.attached.set(pid, n - 1);
    if (m.removed && m.attached.size === 0) this.#destroyed.delete(m);
  }

  /** Removed segments still attached somewhere (destroyed at the last detach). */
  readonly #destroyed = new Set<Shm>();

  shmctl(id: number, cmd: number): unknown {
    const m = this.shm.find(id);
    if (cmd === IPC.RMID) {
      this.shm.remove(m);
      if (m.attached.size > 0) this.#destroyed.add(m);
      return null;
    }
    if (cmd === IPC.STAT) {
      const nattch = [...m.attached.values()].reduce((a, b) => a + b, 0);
      return { key: m.key, mode: m.mode, size: m.sab.byteLength, nattch };
    }
    throw einval(`bad shmctl command ${cmd}`);
  }

  /** A process ended: apply its SEM_UNDO adjustments, detach its segments. */
  processEnded(pid: number): void {
    const m = this.#undo.get(pid);
    this.#undo.delete(pid);
    for (const [id, adj] of m ?? []) {
      const s = this.sem.byId.get(id);
      if (!s) continue;
      adj.forEach((d, i) => (s.vals[i] = Math.max(0, Math.min(SEMVMX, s.vals[i]! + d))));
      wake(s);
    }
    for (const seg of [...this.shm.byId.values(), ...this.#destroyed]) {
      seg.attached.delete(pid);
      if (seg.removed && seg.attached.size === 0) this.#destroyed.delete(seg);
    }
  }

  /** /proc/sysvipc rows: 0 msg, 1 sem, 2 shm. */
  list(kind: number): unknown[] {
    if (kind === 0) {
      return [...this.msg.byId.values()].map((q) => ({
        key: q.key,
        id: q.id,
        mode: q.mode,
        bytes: q.bytes,
        count: q.msgs.length,
      }));
    }
    if (kind === 1) {
      return [...this.sem.byId.values()].map((s) => ({
        key: s.key,
        id: s.id,
        mode: s.mode,
        count: s.vals.length,
      }));
    }
    if (kind === 2) {
      return [...this.shm.byId.values()].map((m) => ({
        key: m.key,
        id: m.id,
        mode: m.mode,
        bytes: m.sab.byteLength,
        count: [...m.attached.values()].reduce((a, b) => a + b, 0),
      }));
    }
    throw einval(`bad kind ${kind}`);
  }
}
