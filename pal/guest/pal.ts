/**
 * The guest side of the PAL: one object with every call of the ABI table, in a synchronous and an
 * asynchronous form. Host-served calls go through this thread's `PalClient` (the call page);
 * guest-served calls run here (`local_memory.ts`, `local_threads.ts`, `local_misc.ts`), over
 * tables shared by every thread of the picoprocess (`local_state.ts`). Dispatch is derived from
 * the table's `side` column; a guest call without an implementation does not compile.
 */
import { ABI, type ArgsOf, type CallName, type HostCallName, type ResultOf } from "../abi.ts";
import { PalCode, PalError } from "../errors.ts";
import type { SharedAddressSpace } from "../vma_shared.ts";
import { type GuestChannel, PalClient } from "./client.ts";
import { memoryCalls } from "./local_memory.ts";
import { miscCalls } from "./local_misc.ts";
import {
  type AsyncLocalTable,
  type GuestCallName,
  LocalState,
  type LocalTable,
  type ProcessShared,
} from "./local_state.ts";
import { threadCalls, threadCallsAsync } from "./local_threads.ts";

export type { GuestCallName, ProcessShared };
export type { ThreadSetup, ThreadSpec } from "./local_threads.ts";

const LOCAL = { ...memoryCalls, ...threadCalls, ...miscCalls } satisfies LocalTable;
const LOCAL_ASYNC: AsyncLocalTable = threadCallsAsync;

type AnyImpl = (s: LocalState, ...args: readonly unknown[]) => unknown;
type AnyAsyncImpl = (s: LocalState, ...args: readonly unknown[]) => Promise<unknown>;

/** The PAL of one guest thread. */
export class GuestPal {
  /** Use `GuestPal.main`, `GuestPal.fromClient` or `GuestPal.thread`. */
  private constructor(readonly client: PalClient, readonly state: LocalState) {}

  /**
   * The PAL of a picoprocess's main thread.
   * @param ch the call page, doorbell and sync port from the init message
   * @param pid the process id (from the init message)
   * @example
   * ```ts ignore
   * const pal = GuestPal.main(init.channel, init.pid);
   * const p = pal.call("vma_alloc", 4096, -1, 3, 0);
   * pal.call("futex_wake", p, 1);
   * ```
   */
  static main(ch: GuestChannel, pid: number): GuestPal {
    return GuestPal.fromClient(new PalClient(ch), ch.doorbell, pid);
  }

  /** The main thread's PAL over an existing client (which keeps serving its other users). */
  static fromClient(client: PalClient, doorbell: SharedArrayBuffer, pid: number): GuestPal {
    return new GuestPal(client, LocalState.main(client, pid, doorbell));
  }

  /**
   * The PAL of thread `tid`, over its own call page and its process's shared tables.
   * @throws {PalError} BAD_MESSAGE when `shared` is not a process's tables
   */
  static thread(client: PalClient, shared: ProcessShared, tid: number): GuestPal {
    return new GuestPal(client, LocalState.thread(client, shared, tid));
  }

  /** This thread's id (0 = the main thread). */
  get tid(): number {
    return this.state.tid;
  }

  /** The process's address space: `read`/`write` enforce the protection `vma_protect` sets. */
  get memory(): SharedAddressSpace {
    return this.state.space;
  }

  /**
   * Make any PAL call synchronously.
   * @param name a call of the ABI table
   * @returns the call's result (`bytes` results are fresh copies)
   * @throws {PalError} whatever the call fails with; NOT_IMPLEMENTED for an unknown name
   */
  call<K extends CallName>(name: K, ...args: ArgsOf<K>): ResultOf<K> {
    const spec = ABI[name];
    if (spec === undefined) throw new PalError(PalCode.NOT_IMPLEMENTED, `no call ${name}`);
    if (spec.side === "host") {
      const host = this.client.call as (n: HostCallName, ...a: readonly unknown[]) => unknown;
      return host.call(this.client, name as HostCallName, ...args) as ResultOf<K>;
    }
    const impl = LOCAL[name as GuestCallName] as AnyImpl;
    return impl(this.state, ...args) as ResultOf<K>;
  }

  /**
   * Make any PAL call without blocking the thread: host calls through the asynchronous slots of
   * the call page, blocking guest calls (futex_wait, event_wait, wait_any, thread_join) with
   * `Atomics.waitAsync`, the others by wrapping the synchronous form.
   * @throws {PalError} (as a rejection) whatever the call fails with
   */
  async callAsync<K extends CallName>(name: K, ...args: ArgsOf<K>): Promise<ResultOf<K>> {
    const spec = ABI[name];
    if (spec === undefined) throw new PalError(PalCode.NOT_IMPLEMENTED, `no call ${name}`);
    if (spec.side === "host") {
      const host = this.client.callAsync as (
        n: HostCallName,
        ...a: readonly unknown[]
      ) => Promise<unknown>;
      return await host.call(this.client, name as HostCallName, ...args) as ResultOf<K>;
    }
    const impl = LOCAL_ASYNC[name as GuestCallName] as AnyAsyncImpl | undefined;
    if (impl) return await impl(this.state, ...args) as ResultOf<K>;
    return this.call(name, ...args);
  }
}
