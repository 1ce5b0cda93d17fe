/**
 * The state behind the guest-served PAL calls of one thread: the process-wide tables every
 * thread of a picoprocess shares (address space, events, threads — all SharedArrayBuffers), this
 * thread's PalClient, and the types that make each guest call's implementation required.
 *
 * Thread table layout (its own SAB, Int32 words, documented here only):
 * `[0]` MAGIC, `[1]` capacity (tids), `[2]` quota credit (pages reserved on the host and not yet
 * mapped), `[3]` reserved; then per tid `t` (0 = the main thread): `[4+2t]` state (0 free,
 * 1 running, 2 exited), `[5+2t]` exit code.
 */
import type { ArgsOf, CallName, HostCallName, ResultOf } from "../abi.ts";
import { PalCode, PalError } from "../errors.ts";
import { EventGroup, heldWhile } from "../event.ts";
import { deadlineFor, spinThenWait } from "../futex.ts";
import { PAGE_SIZE } from "../vma.ts";
import {
  type QuotaHooks,
  type SegmentHooks,
  SharedAddressSpace,
  type SharedSpaceBuffers,
} from "../vma_shared.ts";
import { restoreSpace, type SpaceSnapshot } from "../vma_snapshot.ts";
import type { PalClient } from "./client.ts";

/** A call served inside the picoprocess. */
export type GuestCallName = Exclude<CallName, HostCallName>;
/** The synchronous implementation of guest call `K`. */
export type LocalImpl<K extends GuestCallName> = (s: LocalState, ...args: ArgsOf<K>) => ResultOf<K>;
/** Every guest call's implementation: a missing one is a compile-time error. */
export type LocalTable = { readonly [K in GuestCallName]: LocalImpl<K> };
/** Asynchronous forms of the guest calls that block (the others wrap the sync form). */
export type AsyncLocalTable = {
  readonly [K in GuestCallName]?: (s: LocalState, ...args: ArgsOf<K>) => Promise<ResultOf<K>>;
};

/** Everything a new thread receives from its process (structured-cloneable). */
export interface ProcessShared {
  readonly pid: number;
  readonly doorbell: SharedArrayBuffer;
  readonly events: SharedArrayBuffer;
  readonly threads: SharedArrayBuffer;
  readonly space: SharedSpaceBuffers;
  /** `performance.timeOrigin` of the main thread: the zero of `time_monotonic`. */
  readonly originMs: number;
}

/** Events per process. */
export const MAX_EVENTS = 1024;
/** Thread ids per process (tid 0 is the main thread); the manifest's cap is lower or equal. */
export const MAX_TIDS = 1025;
/** Regions per address space. */
export const MAX_REGIONS = 4096;
const SPACE_MIN_BYTES = 16 << 20;
const SPACE_MAX_BYTES = 1 << 30;

/** Quota credit a charge takes beyond what it needs (pages). */
export const QUOTA_CHUNK_PAGES = 16;

const T_MAGIC = 0x54485244; // "THRD"
const CREDIT = 2;
const T_HEADER = 4;
const RUNNING = 1;
const EXITED = 2;

/** The process's thread table (layout in the file header). */
export class ThreadTable {
  readonly i32: Int32Array;
  private constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
  }
  /** A table whose tid 0 (the main thread) is running. */
  static create(): ThreadTable {
    const t = new ThreadTable(new SharedArrayBuffer((T_HEADER + 2 * MAX_TIDS) * 4));
    t.i32[1] = MAX_TIDS;
    t.i32[T_HEADER] = RUNNING;
    Atomics.store(t.i32, 0, T_MAGIC);
    return t;
  }
  /** The table over `sab` received from the process. @throws {PalError} BAD_MESSAGE */
  static attach(sab: SharedArrayBuffer): ThreadTable {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== (T_HEADER + 2 * MAX_TIDS) * 4) {
      throw new PalError(PalCode.BAD_MESSAGE, "thread table: bad buffer");
    }
    const t = new ThreadTable(sab);
    if (Atomics.load(t.i32, 0) !== T_MAGIC) {
      throw new PalError(PalCode.BAD_MESSAGE, "thread table: bad header");
    }
    return t;
  }
  /** Take a free tid. @throws {PalError} TOO_MANY */
  claim(): number {
    for (let t = 1; t < MAX_TIDS; t++) {
      if (Atomics.compareExchange(this.i32, T_HEADER + 2 * t, 0, RUNNING) === 0) return t;
    }
    throw new PalError(PalCode.TOO_MANY, "no free thread id");
  }
  /** Give back a tid whose thread never started. */
  unclaim(tid: number): void {
    Atomics.store(this.i32, T_HEADER + 2 * tid, 0);
  }
  /** Record `tid`'s exit code and wake its joiners. */
  exit(tid: number, code: number): void {
    Atomics.store(this.i32, T_HEADER + 2 * tid + 1, code | 0);
    Atomics.store(this.i32, T_HEADER + 2 * tid, EXITED);
    Atomics.notify(this.i32, T_HEADER + 2 * tid);
  }
  /** The state word of `tid`, checked joinable by `self`. @throws {PalError} INVAL, NO_PROCESS */
  #joinable(tid: number, self: number): number {
    if (tid === self) throw new PalError(PalCode.INVAL, "a thread cannot join itself");
    if (!Number.isInteger(tid) || tid < 1 || tid >= MAX_TIDS) {
      throw new PalError(PalCode.NO_PROCESS, `no thread ${tid}`);
    }
    const w = T_HEADER + 2 * tid;
    if (Atomics.load(this.i32, w) === 0) throw new PalError(PalCode.NO_PROCESS, `no thread ${tid}`);
    return w;
  }
  /** Reap an exited thread: its exit code, or undefined if another joiner took it. */
  #reap(w: number): number | undefined {
    const code = Atomics.load(this.i32, w + 1);
    return Atomics.compareExchange(this.i32, w, EXITED, 0) === EXITED ? code : undefined;
  }
  /** Wait for `tid` to exit and reap it. @throws {PalError} TIMED_OUT, NO_PROCESS, INVAL */
  join(tid: number, self: number, timeoutMs?: number): number {
    const w = this.#joinable(tid, self);
    const deadline = deadlineFor(timeoutMs);
    for (;;) {
      const s = Atomics.load(this.i32, w);
      if (s === EXITED) {
        const code = this.#reap(w);
        if (code !== undefined) return code;
      } else if (s !== RUNNING) throw new PalError(PalCode.NO_PROCESS, `no thread ${tid}`);
      else if (performance.now() >= deadline) throw new PalError(PalCode.TIMED_OUT, "join");
      else spinThenWait(this.i32, w, RUNNING, deadline);
    }
  }
  /** `join` without blocking the thread. */
  async joinAsync(tid: number, self: number, timeoutMs?: number): Promise<number> {
    const w = this.#joinable(tid, self);
    const deadline = deadlineFor(timeoutMs);
    for (;;) {
      const s = Atomics.load(this.i32, w);
      if (s === EXITED) {
        const code = this.#reap(w);
        if (code !== undefined) return code;
      } else if (s !== RUNNING) throw new PalError(PalCode.NO_PROCESS, `no thread ${tid}`);
      else {
        const left = deadline - performance.now();
        if (left <= 0) throw new PalError(PalCode.TIMED_OUT, "join");
        const r = Atomics.waitAsync(this.i32, w, RUNNING, left);
        if (r.async) await heldWhile(r.value);
      }
    }
  }
}

/** The latest main-thread state made in this Worker (the process's address space for fork). */
let mainState: LocalState | null = null;
/** A fork parent's address space, restored by the main thread's first use of its space. */
let inherited: SpaceSnapshot | null = null;

/** Whether this Worker made an address space (VMAs) or was given one. */
export function spaceInUse(): boolean {
  return mainState !== null || inherited !== null;
}

/**
 * A copy of this process's private memory for a fork child, or null when no address space was
 * made (fork-with-state: libos/proc/process.ts).
 */
export function snapshotProcessSpace(): SpaceSnapshot | null {
  return mainState?.spaceSnapshot() ?? null;
}

/**
 * Give this (fork child) process its parent's memory: the main thread's address space starts as
 * a copy of `snap` when first used. Ignored if the space was already made.
 */
export function inheritProcessSpace(snap: SpaceSnapshot): void {
  inherited = snap;
}

/** One thread's view of its process: its client, its tid and the shared tables. */
export class LocalState {
  readonly events: EventGroup;
  readonly threads: ThreadTable;
  readonly originMs: number;
  #space: SharedAddressSpace | null;

  /** Use `LocalState.main` or `LocalState.thread`. */
  private constructor(
    readonly client: PalClient,
    readonly pid: number,
    readonly tid: number,
    readonly doorbell: SharedArrayBuffer,
    parts: { events: EventGroup; threads: ThreadTable; space: SharedSpaceBuffers | null },
    originMs: number,
  ) {
    this.events = parts.events;
    this.threads = parts.threads;
    this.originMs = originMs;
    this.#space = parts.space
      ? SharedAddressSpace.attach(parts.space, this.#quota(), this.#segments())
      : null;
  }

  /** The state of a process's main thread (tid 0), with fresh tables. */
  static main(client: PalClient, pid: number, doorbell: SharedArrayBuffer): LocalState {
    const parts = {
      events: EventGroup.create(MAX_EVENTS),
      threads: ThreadTable.create(),
      space: null,
    };
    const st = new LocalState(client, pid, 0, doorbell, parts, performance.timeOrigin);
    mainState = st;
    return st;
  }

  /** The state of thread `tid` joining the tables of its process. @throws {PalError} */
  static thread(client: PalClient, shared: ProcessShared, tid: number): LocalState {
    const parts = {
      events: EventGroup.attach(shared.events),
      threads: ThreadTable.attach(shared.threads),
      space: shared.space,
    };
    return new LocalState(client, shared.pid, tid, shared.doorbell, parts, shared.originMs);
  }

  /** The process's address space; the main thread makes it on first use, sized by the quota. */
  get space(): SharedAddressSpace {
    if (this.#space) return this.#space;
    if (inherited && this.tid === 0) {
      const snap = inherited;
      inherited = null;
      this.#space = restoreSpace(snap, this.#quota(), this.#segments());
      return this.#space;
    }
    const q = this.client.call("memory_quota") as { quotaBytes?: unknown };
    const quota = typeof q?.quotaBytes === "number" ? q.quotaBytes : 0;
    const want = Math.ceil((2 * quota) / PAGE_SIZE) * PAGE_SIZE;
    const maxBytes = Math.min(SPACE_MAX_BYTES, Math.max(SPACE_MIN_BYTES, want));
    this.#space = SharedAddressSpace.create({
      maxBytes,
      maxRegions: MAX_REGIONS,
      quota: this.#quota(),
      segments: this.#segments(),
    });
    return this.#space;
  }

  /** A copy of the address space, or null if none was made yet. */
  spaceSnapshot(): SpaceSnapshot | null {
    return this.#space?.snapshot() ?? null;
  }

  /** What a new thread needs (creates the address space if it does not exist yet). */
  shared(): ProcessShared {
    return {
      pid: this.pid,
      doorbell: this.doorbell,
      events: this.events.sab,
      threads: this.threads.sab,
      space: this.space.buffers,
      originMs: this.originMs,
    };
  }

  /** Shared segments (MAP_SHARED) come from the host, which hands them to fork children too. */
  #segments(): SegmentHooks {
    const client = this.client;
    const take = (): SharedArrayBuffer => {
      const sab = client.takeMessage();
      if (!(sab instanceof SharedArrayBuffer)) {
        throw new PalError(PalCode.BAD_MESSAGE, "vma_segment: no buffer");
      }
      return sab;
    };
    return {
      create(bytes) {
        const id = client.call("vma_segment", 0, bytes);
        return { id, sab: take() };
      },
      attach(id) {
        client.call("vma_segment", id, 0);
        return take();
      },
      drop(id) {
        client.call("vma_segment_drop", id);
      },
    };
  }

  /**
   * The host enforces the quota (`mem_reserve` fails past it). To spare a host call per mapping,
   * a charge reserves QUOTA_CHUNK_PAGES extra as process-wide credit, and a release keeps up to
   * twice that: the host's count exceeds the mapped bytes by at most 2 × QUOTA_CHUNK_PAGES.
   */
  #quota(): QuotaHooks {
    const client = this.client, w = this.threads.i32;
    return {
      charge(bytes) {
        const pages = Math.ceil(bytes / PAGE_SIZE);
        for (let c = Atomics.load(w, CREDIT); c >= pages; c = Atomics.load(w, CREDIT)) {
          if (Atomics.compareExchange(w, CREDIT, c, c - pages) === c) return;
        }
        try {
          client.call("mem_reserve", (pages + QUOTA_CHUNK_PAGES) * PAGE_SIZE);
          Atomics.add(w, CREDIT, QUOTA_CHUNK_PAGES);
        } catch (e) {
          if (!(e instanceof PalError) || e.code !== PalCode.QUOTA) throw e;
          client.call("mem_reserve", pages * PAGE_SIZE); // near the quota: exactly what is needed
        }
      },
      release(bytes) {
        const pages = Math.ceil(bytes / PAGE_SIZE);
        const c = Atomics.add(w, CREDIT, pages) + pages;
        if (c <= 2 * QUOTA_CHUNK_PAGES) return;
        const give = c - QUOTA_CHUNK_PAGES;
        if (Atomics.compareExchange(w, CREDIT, c, QUOTA_CHUNK_PAGES) === c) {
          client.call("mem_release", give * PAGE_SIZE);
        }
      },
    };
  }
}
