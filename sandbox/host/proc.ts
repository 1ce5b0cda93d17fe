/**
 * A picoprocess as the host sees it. Lifecycle (a small state machine):
 *
 *   starting ──init posted──► running ──process_exit / error / kill / limit──► exited
 *
 * `exited` is final: the Worker is terminated, the call page detached, every host handle
 * closed. Control (init, exit) and data (the call page) use separate channels.
 */
import { HandleTable } from "../../pal/host/handles.ts";
import type { HostProcess, HostServices } from "../../pal/host/owner.ts";
import { ProcNode } from "./proc_table.ts";
import type { WorkerLike } from "./worker_factory.ts";
import type { PoolChannel } from "./proc_pool.ts";

/** Lifecycle states. */
export type ProcState = "starting" | "running" | "exited";

/** Per-process stdin: chunks from the embedding app, EOF as null. */
export class StdinQueue {
  readonly #chunks: Uint8Array[] = [];
  #eof = false;
  #waiters: (() => void)[] = [];

  /** Append a chunk (null = EOF). */
  push(data: Uint8Array | null): void {
    if (this.#eof) return;
    if (data === null) this.#eof = true;
    else if (data.length > 0) this.#chunks.push(data);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Whether a read would not block. */
  get ready(): boolean {
    return this.#chunks.length > 0 || this.#eof;
  }

  /** A promise that settles when `ready` may have changed. */
  changed(): Promise<void> {
    return new Promise((r) => this.#waiters.push(r));
  }

  /** Read up to `max` bytes; null at EOF. */
  async read(max: number): Promise<Uint8Array | null> {
    while (!this.ready) await this.changed();
    const c = this.#chunks[0];
    if (!c) return null;
    if (c.length <= max) {
      this.#chunks.shift();
      return c;
    }
    this.#chunks[0] = c.subarray(max);
    return c.subarray(0, max);
  }
}

/** An extra thread of a picoprocess (sandbox/host/thread_handlers.ts). */
export interface HostThread {
  readonly worker: WorkerLike;
  /** Its call page, served with this process as owner (so it shares the handle table). */
  readonly pageToken: object;
}

/** The host's record of one picoprocess. */
export class HostProc implements HostProcess {
  state: ProcState = "starting";
  worker: WorkerLike | null = null;
  pageToken: object | null = null;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  /** Its parent may reap it: set once the host told of its end (proc_table.ts `exited`), which
   * may come after `state` became "exited" (sandbox_host.ts `endProcess`: SEM_UNDO first). */
  zombie = false;
  readonly handles: HandleTable;
  readonly stdin = new StdinQueue();
  /** Live extra threads by tid. */
  readonly threads = new Map<number, HostThread>();
  /** Process-tree and signal state (sandbox/host/proc_table.ts). */
  readonly tree = new ProcNode();
  /**
   * The revocation count when its Worker started a built-in program (no app module, fork state
   * or plugin), else -1: only such a process's Worker may be recycled (sandbox_host.ts).
   */
  recycleMark = -1;
  /** Its Worker came from the pool with `take(true)`: its end is reported with `pool.back`. */
  poolOut = false;
  /** The call page and sync port of its main thread (kept with a recycled Worker). */
  channel: PoolChannel | null = null;
  /** Shared memory segments (MAP_SHARED) this process maps, by id (proc_handlers.ts). */
  readonly segments = new Set<number>();
  #services: HostServices;

  constructor(
    readonly pid: number,
    /** Re-parented when the parent exits (proc_table.ts). */
    public ppid: number,
    services: HostServices,
    maxHandles: number,
  ) {
    this.#services = services;
    this.handles = new HandleTable(maxHandles);
    this.embedderStarted = ppid === 0;
  }

  /** Started by the embedding app (a run or a plugin), not by a process of the sandbox: only
   * such a process's end is an event the embedding app waits for. */
  readonly embedderStarted: boolean;

  /** The services answering this process; replaced by a sandbox split (split.ts). */
  get services(): HostServices {
    return this.#services;
  }
  set services(s: HostServices) {
    if (s.sandboxId !== this.#services.sandboxId) this.tree.sandboxChanged();
    this.#services = s;
  }
}
