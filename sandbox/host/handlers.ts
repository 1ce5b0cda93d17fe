/**
 * The host dispatch table of a sandbox: the PAL's stream handlers plus the process, misc,
 * sandbox and debug calls, which need the sandbox host itself; process and pipe calls come from
 * proc_handlers.ts.
 * Calls here: process_exit, process_recycle, process_info, mem_reserve, mem_release, memory_quota, host_time,
 * sandbox_policy, sandbox_set_policy, sandbox_release, sandbox_repossessions, debug_log, null_call,
 * echo_bytes (and every stream_* from pal/host/streams.ts).
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import { streamHandlers } from "../../pal/host/streams.ts";
import { streamCacheHandlers } from "../../pal/host/stream_cache.ts";
import type { HostProc } from "./proc.ts";
import { procHandlers } from "./proc_handlers.ts";
import { ipcHandlers } from "./ipc_handlers.ts";
import { fileLockHandlers, FileLocks } from "./file_locks.ts";
import type { SandboxHost } from "./sandbox_host.ts";
import { policyOf, splitProcess } from "./split.ts";
import { threadHandlers } from "./thread_handlers.ts";
import { rpcHandlers } from "./rpc_handlers.ts";
import { namedPipeHandlers } from "./named_pipes.ts";

const MAX_LOG_LINE = 4096;

/** Build the handler table bound to one sandbox host. */
export function hostHandlers(host: SandboxHost): HostHandlers<HostProc> {
  let reserved = 0;
  const quota = host.cfg.manifest.sys.vmaQuotaBytes;
  const own: HostHandlers<HostProc> = {
    process_exit(ctx, code) {
      const p = ctx.owner;
      // Deferred so the slot is not completed into a Worker we are about to end. From the main
      // page, the Worker now waits in its halt to be retired (proc_retire.ts).
      const parked = ctx.page === p.pageToken;
      queueMicrotask(() => host.endProcess(p, code & 0xff, null, parked));
    },
    process_recycle(ctx, code) {
      const p = ctx.owner;
      const parked = ctx.page === p.pageToken;
      const keep = parked && host.mayRecycle(p);
      queueMicrotask(() => host.endProcess(p, code & 0xff, null, parked, keep));
      return keep ? 1 : 0;
    },
    process_info(ctx) {
      const p = ctx.owner;
      return {
        pid: p.pid,
        ppid: p.ppid,
        processes: [...host.procs.values()]
          .filter((q) => q.state !== "exited")
          .map((q) => ({ pid: q.pid, ppid: q.ppid, state: q.state })),
      };
    },
    mem_reserve(_ctx, bytes) {
      if (bytes < 0) throw new PalError(PalCode.INVAL, "negative reservation");
      if (reserved + bytes > quota) {
        throw new PalError(PalCode.QUOTA, `sys.vma_quota (${quota} bytes) exceeded`);
      }
      reserved += bytes;
      return reserved;
    },
    mem_release(_ctx, bytes) {
      if (bytes < 0 || bytes > reserved) throw new PalError(PalCode.INVAL, "bad release");
      reserved -= bytes;
      return reserved;
    },
    memory_quota() {
      return {
        quotaBytes: quota,
        usedBytes: reserved,
        heapBytes: host.cfg.manifest.sys.maxMemoryBytes,
      };
    },
    host_time() {
      return Date.now();
    },
    sandbox_policy(ctx) {
      const m = host.cfg.manifest;
      const pol = policyOf(host, ctx.owner);
      return {
        sandbox: ctx.owner.services.sandboxId,
        mounts: pol.mounts.map((x) => ({
          path: x.path,
          type: host.cfg.mounts.find((y) => y.id === x.id)?.type,
          readonly: x.readonly,
        })),
        net: pol.net,
        maxProcesses: m.sys.maxProcesses,
        maxFds: m.sys.maxFds,
      };
    },
    sandbox_set_policy(ctx, v) {
      return splitProcess(host, ctx.owner, v);
    },
    sandbox_release(ctx, v) {
      const id = (v as { id?: unknown } | null)?.id;
      if (!Number.isSafeInteger(id)) throw new PalError(PalCode.INVAL, "expected {id}");
      host.revocations.release(ctx.owner, id as number);
    },
    sandbox_repossessions(ctx) {
      return host.revocations.entriesOf(ctx.owner.services.sandboxId);
    },
    debug_log(ctx, line) {
      host.trace(ctx.owner.pid, line.slice(0, MAX_LOG_LINE));
    },
    null_call() {
      return 0;
    },
    echo_bytes(_ctx, data, out) {
      const n = Math.min(data.length, out.length);
      out.set(data.subarray(0, n));
      return n;
    },
  };
  return {
    ...(streamHandlers as HostHandlers<HostProc>),
    ...(streamCacheHandlers as HostHandlers<HostProc>),
    ...own,
    ...procHandlers(host),
    ...ipcHandlers(host.onProcessEnd, host.sysv),
    ...threadHandlers(host),
    ...rpcHandlers(host),
    ...namedPipeHandlers(host),
    ...fileLockHandlers(new FileLocks()),
  };
}
