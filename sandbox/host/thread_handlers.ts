/**
 * Host calls for threads. A thread is an extra Worker of a picoprocess: the host starts it (its
 * module graph needs the host's read permission; it runs with the guest's narrowed permissions),
 * gives it its own call page owned by the same HostProc — so it shares the process's handles —
 * and ends it on `thread_end` or with the process (`endThreads`, run from the host's
 * `onProcessEnd` hooks).
 * Calls here: thread_spawn, thread_end.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import { createPage, DEFAULT_GEOMETRY } from "../../pal/ring.ts";
import type { ThreadHello, ThreadInit } from "../../pal/guest/thread_boot.ts";
import { MAX_TIDS } from "../../pal/guest/local_state.ts";
import { THREAD_EXITED } from "../../pal/guest/local_threads.ts";
import type { HostProc } from "./proc.ts";
import type { SandboxHost } from "./sandbox_host.ts";

const THREAD_BOOT_URL = new URL("../../pal/guest/thread_boot.ts", import.meta.url).href;
/** How long an ended thread may take to post its exit before it is terminated anyway. */
const EXIT_GRACE_MS = 1000;

/** Thread handlers bound to one sandbox host. */
export function threadHandlers(host: SandboxHost): HostHandlers<HostProc> {
  host.onProcessEnd.push((p) => endThreads(host, p));
  return {
    thread_spawn(ctx, tid) {
      const p = ctx.owner;
      if (p.state !== "running") throw new PalError(PalCode.NO_PROCESS, "process not running");
      if (tid < 1 || tid >= MAX_TIDS) throw new PalError(PalCode.INVAL, `bad thread id ${tid}`);
      if (p.threads.has(tid)) throw new PalError(PalCode.EXISTS, `thread ${tid} exists`);
      const max = host.cfg.manifest.sys.maxThreads;
      if (p.threads.size + 1 >= max) {
        throw new PalError(PalCode.TOO_MANY, `sys.max_threads (${max}) reached`);
      }
      const page = createPage(DEFAULT_GEOMETRY);
      const sync = new MessageChannel();
      const setup = new MessageChannel();
      const pageToken = host.server.attach(page, DEFAULT_GEOMETRY, p, sync.port1);
      const worker = host.newWorker(
        THREAD_BOOT_URL,
        `sandpiper ${host.sandboxId} pid ${p.pid} tid ${tid}`,
      );
      p.threads.set(tid, { worker, pageToken });
      worker.onerror = (e) => {
        e.preventDefault();
        const msg = `Uncaught in thread ${tid}: ${e.message ?? "error"}\n`;
        host.output(p.pid, 2, new TextEncoder().encode(msg), true);
        host.endProcess(p, 1, null);
      };
      worker.onmessageerror = (e) => e.preventDefault();
      const init: ThreadInit = {
        type: "thread-init",
        pid: p.pid,
        tid,
        page,
        syncPort: sync.port2,
        setup: setup.port1,
      };
      let greeted = false;
      // Messages from the Worker are guest input: only its first hello and its exit count.
      worker.onmessage = (e) => {
        const hello = e.data as ThreadHello | null;
        if (!greeted && hello?.type === "thread-hello" && hello.port instanceof MessagePort) {
          greeted = true;
          hello.port.postMessage(init, [sync.port2, setup.port1]);
        } else if (e.data === THREAD_EXITED && !p.threads.has(tid)) worker.terminate();
      };
      ctx.transfer(setup.port2, [setup.port2]);
      return tid;
    },
    thread_end(ctx, tid) {
      const p = ctx.owner;
      const t = p.threads.get(tid);
      if (!t) throw new PalError(PalCode.NO_PROCESS, `no thread ${tid}`);
      p.threads.delete(tid);
      // After this call completes: the caller may be the thread itself, waiting on this page.
      queueMicrotask(() => host.server.detach(t.pageToken));
      setTimeout(() => t.worker.terminate(), EXIT_GRACE_MS);
    },
  };
}

/** Stop every thread of `p` (its process ended): terminate the Workers, detach the pages. */
export function endThreads(host: SandboxHost, p: HostProc): void {
  for (const t of p.threads.values()) {
    t.worker.terminate();
    host.server.detach(t.pageToken);
  }
  p.threads.clear();
}
