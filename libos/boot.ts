/**
 * The picoprocess entry: the first module of every picoprocess Worker. It waits for the host's
 * init message (libos/init.ts), connects the PAL client, boots the libOS and runs the app under
 * the personality it was written for. Only literal imports here: they load with the host's
 * permissions as part of this module's graph; the app itself is imported with the Worker's own.
 *
 * A pooled Worker (sandbox/host/proc_pool.ts) first gets `WARM_UP`: boot then does the work that
 * does not depend on the process — it rehearses the libOS setup (three times) over a throwaway
 * kernel with a PAL that answers locally, builds a call page client over a throwaway page and
 * (without installing) the Deno personality's members, touches the lazily loaded globals the
 * personality wraps and makes the Worker's first dynamic import, so the code every process runs
 * first is compiled before a process needs it — and answers `BOOTED`. A cold Worker gets the
 * init message at once and skips the rehearsal. The init message carries everything the boot
 * needs (a spawned child's stdio handles and signal table slot too): a warm boot makes no host
 * call before the program runs.
 */
import { PalClient } from "../pal/guest/client.ts";
import { Interrupt } from "../pal/futex.ts";
import { BOOTED, type InitMessage, WARM_UP } from "./init.ts";
import { Kernel } from "./kernel.ts";
import { Libos } from "./libos.ts";
import { PipeHandle } from "./pipe_handle.ts";
import { setupExtraFds, setupMounts, setupStdio } from "./setup.ts";
import { SIG_FLAG_TABLE, SIGNAL_PAGE_BYTES, SIGNAL_TABLE_BYTES, SigWord } from "./signal/shared.ts";
import { wrapSys } from "./signal/signals.ts";
import { createSys } from "./sys/mod.ts";
import { workerScope } from "../pal/worker_scope.ts";
import { Liveness } from "./liveness.ts";
import type { DenoCtx } from "./personality/deno/ctx.ts";
import { makeConsole } from "./personality/deno/console.ts";
import { dirFunctions } from "./personality/deno/dir.ts";
import { fsFunctions } from "./personality/deno/fs.ts";
import { SandboxFsFile } from "./personality/deno/fs_file.ts";
import { makeEnv } from "./personality/deno/process.ts";
import { netApi } from "./personality/deno/net.ts";
import { commandApi } from "./personality/deno/command.ts";
import { createDoorbell, createPage } from "../pal/ring.ts";

/** Set once the init message arrived: a Worker taken from the pool while booting skips warming. */
let started = false;

workerScope.onmessage = async (e: MessageEvent) => {
  if (e.data === WARM_UP) {
    // After the messages already queued: an init among them makes the rehearsal moot.
    setTimeout(async () => {
      if (started) return;
      // Three times: code run only once stays in the interpreter's slowest form (measured: the
      // kernel, mounts and stdio setup of a spawn ~0.37 → ~0.27 ms after three rehearsals).
      for (let i = 0; i < 3; i++) rehearse();
      try {
        // The first dynamic import of a Worker is slow: the program's import is one.
        await import("./proc/warm_import.ts");
      } catch (_e) {
        // Only warming.
      }
      workerScope.postMessage(BOOTED);
    }, 0);
    return;
  }
  const init = e.data as InitMessage;
  if (init?.type !== "init") return;
  started = true;
  workerScope.onmessage = null;
  const pal = new PalClient(init.channel);
  const os = new Libos(init, pal);
  if (init.entry.endsWith(".wasm")) {
    const { runWasiEntry } = await import("./personality/wasi/entry.ts");
    await runWasiEntry(os, init);
    return;
  }
  os.installDenoPersonality();
  if (init.plugin) {
    const { servePlugin } = await import("./plugin_guest.ts");
    await servePlugin(os, init.plugin, init.entry);
    return;
  }
  await os.runModule(init.entry);
};

/**
 * Run the process-independent part of a boot once over a throwaway kernel: no host call, no
 * listener, no timer, no global left changed (PipeHandle's interrupt token is reset; the real
 * kernel sets it again; the personality's members are built, never installed). Anything that
 * fails here only means less was warmed.
 */
function rehearse(): void {
  let handles = 2;
  const pal = {
    call: (name: string) => (name === "stream_open" ? ++handles : undefined),
    callAsync: () => Promise.resolve(undefined),
    callInto: () => 0,
    batch: (calls: readonly unknown[]) => calls.map(() => undefined),
    takeMessage: () => undefined,
  } as unknown as PalClient;
  const host = (
    uri: "dev:stdin" | "dev:stdout" | "dev:stderr",
  ) => ({ kind: "host", uri, handle: ++handles } as const);
  // A page in the signal table, as the host makes for a spawned child.
  const page = new SharedArrayBuffer(SIGNAL_PAGE_BYTES);
  Atomics.store(new Int32Array(page), SigWord.FLAGS, SIG_FLAG_TABLE);
  const init: InitMessage = {
    type: "init",
    pid: 0,
    ppid: 0,
    sandboxId: "",
    channel: null as unknown as InitMessage["channel"],
    entry: "",
    exePath: "/",
    argv: [""],
    env: { PATH: "/bin" },
    cwd: "/",
    umask: 0o022,
    mounts: [
      { id: 1, path: "/", type: "chroot", readonly: true },
      { id: 2, path: "/tmp", type: "tmpfs", readonly: false },
    ],
    stdio: [host("dev:stdin"), host("dev:stdout"), host("dev:stderr")],
    limits: { maxFds: 64, pipeBufferBytes: 4096 },
    discover: false,
    trace: false,
    startTimeMs: 0,
    signals: page,
    sigTable: { sab: new SharedArrayBuffer(SIGNAL_TABLE_BYTES), slot: 0 },
    interrupt: Interrupt.create().sab,
  };
  try {
    // The call page client (over a small throwaway page nobody serves; no call is made).
    new PalClient({
      page: createPage({ slots: 8, inlineBytes: 4096, bulkBytes: 4096 }),
      doorbell: createDoorbell(),
      syncPort: null as unknown as MessagePort,
    });
    // Lazily loaded globals the personality wraps (reading them changes nothing).
    void globalThis.fetch;
    void crypto.subtle;
  } catch (_e) {
    // Only warming.
  }
  try {
    const k = new Kernel(init, pal);
    setupMounts(k);
    setupStdio(k);
    setupExtraFds(k);
    const sys = wrapSys(
      createSys(k, () => {
        throw new Error("rehearsal");
      }),
      k.signals,
    );
    sys.getcwd();
    sys.umask(0o022);
    // The Deno personality's members, built but not installed.
    const ctx: DenoCtx = { sys, live: new Liveness(() => {}) };
    const env = makeEnv(k.env);
    env.get("PATH");
    fsFunctions(ctx);
    dirFunctions(ctx, env);
    netApi(ctx);
    new SandboxFsFile(ctx, 1);
    commandApi({ ...ctx, signals: k.signals, env: () => ({}), cwd: () => "/" });
    makeConsole(() => {}).log("%s %d", "x", 1, { a: [1] });
  } catch (_e) {
    // Only warming: the real boot reports its own errors.
  } finally {
    PipeHandle.interrupt = undefined;
  }
}
