/**
 * The first module of every thread Worker. The host starts it (with the picoprocess's narrowed
 * permissions) on `thread_spawn`; the thread says hello with a port, on which the host sends a
 * `ThreadInit`; the creating thread sends the
 * process's shared tables and what to run on the setup port. Only literal imports here: they
 * load with the host's permissions; the thread's module is imported with the Worker's own.
 */
import { PalClient } from "./client.ts";
import { GuestPal, type ThreadSetup } from "./pal.ts";
import { workerScope } from "../worker_scope.ts";
import { sealWorker } from "./seal.ts";

sealWorker();

/** What the host sends a new thread Worker on its hello port (`{type: "thread-init", ...}`). */
export interface ThreadInit {
  readonly type: "thread-init";
  readonly pid: number;
  readonly tid: number;
  /** The thread's own call page and sync port (host→guest transfers). */
  readonly page: SharedArrayBuffer;
  readonly syncPort: MessagePort;
  /** Receives one `ThreadSetup` from the creating thread. */
  readonly setup: MessagePort;
}

/** What the thread posts first: the port on which the host sends its `ThreadInit`. */
export interface ThreadHello {
  readonly type: "thread-hello";
  readonly port: MessagePort;
}

// Measured: the first worker.postMessage to a nested Worker (one created inside a Worker, as
// under `worker` isolation) arrives ~500 ms late, while port messages are prompt; so the thread
// hands the host a port of its own and receives its init on it.
const hello = new MessageChannel();
hello.port1.onmessage = (e: MessageEvent) => {
  const init = e.data as ThreadInit;
  if (init?.type !== "thread-init") return;
  hello.port1.onmessage = null;
  hello.port1.close();
  init.setup.onmessage = (m: MessageEvent) => {
    init.setup.onmessage = null;
    init.setup.close();
    void run(init, m.data as ThreadSetup);
  };
};
const msg: ThreadHello = { type: "thread-hello", port: hello.port2 };
workerScope.postMessage(msg, [hello.port2]);

/** Run the thread's function; its number result is the exit code. A throw ends the process. */
async function run(init: ThreadInit, setup: ThreadSetup): Promise<void> {
  const client = new PalClient({
    page: init.page,
    doorbell: setup.shared.doorbell,
    syncPort: init.syncPort,
  });
  const pal = GuestPal.thread(client, setup.shared, init.tid);
  const mod = await import(String(setup.module));
  const fn = mod[setup.fn];
  if (typeof fn !== "function") {
    throw new Error(`${setup.module} does not export a function ${setup.fn}`);
  }
  const r = await fn(setup.arg, pal);
  pal.call("thread_exit", typeof r === "number" && Number.isInteger(r) ? r : 0);
}
