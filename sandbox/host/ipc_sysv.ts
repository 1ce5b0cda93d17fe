/**
 * System V IPC objects of one sandbox. The host (trusted, never killed by a guest) keeps ids,
 * keys, modes and removal; ids are per sandbox, another sandbox's id is EINVAL. A message queue
 * or semaphore set is a SharedArrayBuffer (layout: libos/ipc/sysv_shared.ts) the host hands to
 * each process that uses it (`ipc_map`); msgsnd, msgrcv and semop run in the guests. The host
 * reads those buffers only through copies it bounds, never waits on a guest lock, and at a
 * process's end frees a lock it left, repairs the object, and applies its SEM_UNDO row.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import {
  changed,
  createMsgSab,
  createSemSab,
  H,
  HOST_LOCK,
  M,
  MSG_MAGIC,
  msgCounts,
  MSGMNB,
  recoverMsg,
  recoverSem,
  SEM_MAGIC,
  type SemGeometry,
  semGeometry,
  semHasRow,
  SEMMSL,
  semUndo,
  semValues,
  unlock,
} from "../../libos/ipc/sysv_shared.ts";

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
/** Largest message and queue (msgmax, msgmnb). */
export { MSGMAX, MSGMNB } from "../../libos/ipc/sysv_shared.ts";
const SHMMAX = 64 << 20;
/** Most queues or sets a sandbox has at once (msgmni, semmni): each is a buffer the host
 * allocates (a queue ~48 KB, a set up to ~35 KB). */
const MAX_OBJECTS = 1024;
/** Longest the host spins for a lock a live guest holds (guests hold it for µs). */
const HOST_SPIN_MS = 1;
/** Retries of a deferred repair or undo (every RETRY_MS) before the host gives up. */
const RETRIES = 200;
const RETRY_MS = 50;
/** How long a dead process keeps a lock it held (its Worker may still be finishing the step). */
const GRACE_MS = 20;

interface Base {
  readonly id: number;
  readonly key: number;
  mode: number;
  removed: boolean;
}
interface Mapped extends Base {
  readonly sab: SharedArrayBuffer;
  readonly words: Int32Array;
}
interface MsgQueue extends Mapped {
  readonly kind: 0;
}
interface SemSet extends Mapped {
  readonly kind: 1;
  readonly g: SemGeometry;
}
interface Shm extends Base {
  readonly sab: SharedArrayBuffer;
  readonly attached: Map<number, number>;
}

function einval(what: string): PalError {
  return new PalError(PalCode.INVAL, what);
}

class Table<T extends Base> {
  constructor(readonly max = Infinity) {}
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
    if (this.byId.size >= this.max) {
      throw new PalError(PalCode.NO_SPACE, `at most ${this.max} objects of this kind`);
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
    if ("words" in o) {
      // Waiters see REMOVED on their next check: EIDRM.
      const w = (o as unknown as Mapped).words;
      Atomics.store(w, H.REMOVED, 1);
      changed(w);
      Atomics.notify(w, H.SEQ);
      Atomics.notify(w, H.LOCK);
    }
  }
}

/**
 * Take `o`'s lock for the host if it is free or held by a process that is not alive (then the
 * object is repaired first). @returns false when a live process holds it
 */
function hostLock(o: MsgQueue | SemSet, alive: (pid: number) => boolean): boolean {
  const w = o.words;
  const cur = Atomics.compareExchange(w, H.LOCK, 0, HOST_LOCK);
  if (cur !== 0) {
    if (cur > 0 && alive(cur)) return false;
    if (Atomics.compareExchange(w, H.LOCK, cur, HOST_LOCK) !== cur) return false;
  }
  // Whoever held it last may have stopped anywhere: repair (cheap when nothing is pending).
  if (o.kind === 0) {
    if (cur !== 0 || Atomics.load(w, H.DIRTY) !== 0) recoverMsg(w);
  } else recoverSem(w, o.g);
  if (cur !== 0) restoreHeader(o);
  return true;
}

/** Rewrite the header words only the host sets (a dead or hostile holder may have changed them). */
function restoreHeader(o: MsgQueue | SemSet): void {
  const w = o.words;
  Atomics.store(w, H.MAGIC, o.kind === 0 ? MSG_MAGIC : SEM_MAGIC);
  Atomics.store(w, H.REMOVED, o.removed ? 1 : 0);
  if (o.kind === 0) Atomics.store(w, M.QBYTES, MSGMNB);
}

function hostUnlock(o: MsgQueue | SemSet): void {
  changed(o.words);
  unlock(o.words, HOST_LOCK);
  Atomics.notify(o.words, H.LOCK);
}

/** The sandbox's IPC namespace. */
export class SysV {
  readonly msg = new Table<MsgQueue>(MAX_OBJECTS);
  readonly sem = new Table<SemSet>(MAX_OBJECTS);
  readonly shm = new Table<Shm>();
  /** Live processes that mapped a queue or set, each with its life word (1 once it ended). */
  readonly #life = new Map<number, Int32Array>();
  /** Processes that ended (pids are never reused). */
  readonly #ended = new Set<number>();
  /** When recently ended processes that mapped a queue or set ended (performance.now()). */
  readonly #deadAt = new Map<number, number>();

  /** Whether `pid` is a process of this sandbox that is still running. */
  #alive = (pid: number): boolean => this.#life.has(pid) && !this.#ended.has(pid);

  msgget(key: number, flags: number): number {
    return this.msg.get(key, flags, (id) => {
      const sab = createMsgSab();
      return {
        kind: 0,
        id,
        key,
        mode: flags & 0o777,
        removed: false,
        sab,
        words: new Int32Array(sab),
      };
    });
  }

  msgctl(id: number, cmd: number): unknown {
    const q = this.msg.find(id);
    if (cmd === IPC.RMID) return void this.msg.remove(q);
    if (cmd === IPC.STAT) {
      const { qnum, cbytes } = msgCounts(q.words);
      return { key: q.key, mode: q.mode, qnum, cbytes };
    }
    throw einval(`bad msgctl command ${cmd}`);
  }

  semget(key: number, nsems: number, flags: number): number {
    if (!Number.isInteger(nsems) || nsems < 0 || nsems > SEMMSL) throw einval("bad nsems");
    const id = this.sem.get(key, flags, (id) => {
      if (nsems === 0) throw einval("nsems must be > 0 to create");
      const sab = createSemSab(nsems);
      return {
        kind: 1,
        id,
        key,
        mode: flags & 0o777,
        removed: false,
        sab,
        words: new Int32Array(sab),
        g: semGeometry(nsems),
      };
    });
    if (nsems > this.sem.find(id).g.n) throw einval("set has fewer semaphores");
    return id;
  }

  /** semctl IPC_STAT and IPC_RMID (the value commands run in the guest). */
  semctl(id: number, _num: number, cmd: number, _arg: unknown): unknown {
    const s = this.sem.find(id);
    if (cmd === IPC.RMID) return void this.sem.remove(s);
    if (cmd === IPC.STAT) return { key: s.key, mode: s.mode, nsems: s.g.n };
    throw einval(`bad semctl command ${cmd} (value commands run in the guest)`);
  }

  /** The values of set `id`, copied and clamped (tests, debugging). */
  semValues(id: number): number[] {
    const s = this.sem.find(id);
    return semValues(s.words, s.g);
  }

  /**
   * ipc_map: the buffer of queue (kind 0) or set (kind 1) `id` for process `pid`, with its
   * life word, and the set's size (0 for a queue).
   */
  map(
    pid: number,
    kind: number,
    id: number,
  ): { n: number; sab: SharedArrayBuffer; life: SharedArrayBuffer } {
    const o = kind === 0 ? this.msg.find(id) : kind === 1 ? this.sem.find(id) : null;
    if (!o) throw einval(`bad IPC kind ${kind}`);
    if (this.#ended.has(pid)) throw new PalError(PalCode.NO_PROCESS, "process ended");
    let life = this.#life.get(pid);
    if (!life) this.#life.set(pid, life = new Int32Array(new SharedArrayBuffer(4)));
    return { n: o.kind === 1 ? o.g.n : 0, sab: o.sab, life: life.buffer as SharedArrayBuffer };
  }

  /**
   * ipc_map op 1: a guest waited long on the lock of `id`; free it if its holder is not a live
   * process of this sandbox (it died in the critical section, or the word is garbage).
   */
  recover(kind: number, id: number): void {
    const o = kind === 0 ? this.msg.find(id) : kind === 1 ? this.sem.find(id) : null;
    if (!o) throw einval(`bad IPC kind ${kind}`);
    if (hostLock(o, this.#alive)) hostUnlock(o);
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

  /**
   * A process ended: mark it so its Worker (which runs on after terminate()) stops at its next
   * IPC step, free a lock it left and repair that object, apply its SEM_UNDO adjustments,
   * detach its segments. A lock a live process holds is waited for briefly, then retried later:
   * then the answer is a promise of the end of those retries (the host tells the parent of the
   * end only after it, so the adjustments show before the parent can reap the process, as in
   * Linux, which applies them in exit); otherwise undefined.
   */
  processEnded(pid: number): Promise<void> | undefined {
    this.#ended.add(pid);
    // Every process's end passes here: no list is made when there is no segment at all.
    if (this.shm.byId.size > 0 || this.#destroyed.size > 0) {
      for (const seg of [...this.shm.byId.values(), ...this.#destroyed]) {
        seg.attached.delete(pid);
        if (seg.removed && seg.attached.size === 0) this.#destroyed.delete(seg);
      }
    }
    const life = this.#life.get(pid);
    // A process that never mapped a queue or set holds no lock and no undo row of one.
    if (!life) return undefined;
    this.#life.delete(pid);
    Atomics.store(life, 0, 1);
    Atomics.notify(life, 0);
    const now = performance.now();
    // Forget death times past every grace period (the map holds IPC users only, and stays small).
    for (const [p, t] of this.#deadAt) if (now - t > 60_000) this.#deadAt.delete(p);
    this.#deadAt.set(pid, now);
    const later: Promise<void>[] = [];
    for (const o of [...this.msg.byId.values(), ...this.sem.byId.values()]) {
      const held = Atomics.load(o.words, H.LOCK) === pid;
      const undo = o.kind === 1 && semHasRow(o.words, o.g, pid);
      if ((held || undo) && !this.#cleanUp(o, pid)) {
        later.push(new Promise((done) => this.#retry(o, pid, RETRIES, done)));
      }
    }
    return later.length === 0 ? undefined : Promise.all(later).then(() => {});
  }

  /** Try `#cleanUp` every RETRY_MS, `tries` more times; `done` when it succeeded or gave up. */
  #retry(o: MsgQueue | SemSet, pid: number, tries: number, done: () => void): void {
    setTimeout(() => {
      if (this.#cleanUp(o, pid) || tries <= 1) done();
      else this.#retry(o, pid, tries - 1, done);
    }, RETRY_MS);
  }

  /** Free `o` of dead `pid` (its lock, its undo row); false if a lock holder kept it for now. */
  #cleanUp(o: MsgQueue | SemSet, pid: number): boolean {
    if (o.removed) return true;
    const now = performance.now(), end = now + HOST_SPIN_MS;
    // terminate() does not stop a running Worker: a process killed inside its critical section
    // finishes it and unlocks. Its lock is taken from it only after a grace period.
    const grace = (this.#deadAt.get(pid) ?? 0) + GRACE_MS;
    const alive = (p: number) => this.#alive(p) || (p === pid && performance.now() < grace);
    let got = hostLock(o, alive);
    while (!got && performance.now() < end) got = hostLock(o, alive);
    if (!got) return false;
    if (o.kind === 1) semUndo(o.words, o.g, pid);
    hostUnlock(o);
    return true;
  }

  /** /proc/sysvipc rows: 0 msg, 1 sem, 2 shm. */
  list(kind: number): unknown[] {
    if (kind === 0) {
      return [...this.msg.byId.values()].map((q) => {
        const { qnum, cbytes } = msgCounts(q.words);
        return { key: q.key, id: q.id, mode: q.mode, bytes: cbytes, count: qnum };
      });
    }
    if (kind === 1) {
      return [...this.sem.byId.values()].map((s) => ({
        key: s.key,
        id: s.id,
        mode: s.mode,
        count: s.g.n,
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
