/**
 * The warm-up of a pooled Worker (libos/boot.ts, `WARM_UP`): run the process-independent part of
 * a boot over a throwaway kernel so the code every process runs first is compiled before a
 * process needs it. (boot.ts then imports the built-in programs: libos/bin/mod.ts `warmBuiltins`.)
 * @module
 */
import { PalClient } from "../pal/guest/client.ts";
import { Interrupt } from "../pal/futex.ts";
import { createDoorbell, createPage } from "../pal/ring.ts";
import type { InitMessage } from "./init.ts";
import { Kernel } from "./kernel.ts";
import { Liveness } from "./liveness.ts";
import { PipeHandle } from "./pipe_handle.ts";
import { commandApi } from "./personality/deno/command.ts";
import { makeConsole } from "./personality/deno/console.ts";
import type { DenoCtx } from "./personality/deno/ctx.ts";
import { dirFunctions } from "./personality/deno/dir.ts";
import { fsFunctions } from "./personality/deno/fs.ts";
import { SandboxFsFile } from "./personality/deno/fs_file.ts";
import { netApi } from "./personality/deno/net.ts";
import { makeEnv } from "./personality/deno/process.ts";
import { setupExtraFds, setupMounts, setupStdio } from "./setup.ts";
import { SIG_FLAG_TABLE, SIGNAL_PAGE_BYTES, SIGNAL_TABLE_BYTES, SigWord } from "./signal/shared.ts";
import { wrapSys } from "./signal/signals.ts";
import { createSys } from "./sys/mod.ts";

/**
 * Run the process-independent part of a boot once over a throwaway kernel: no host call, no
 * listener, no timer, no global left changed (PipeHandle's interrupt token is reset; the real
 * kernel sets it again; the personality's members are built, never installed). Anything that
 * fails here only means less was warmed.
 */
export function rehearse(): void {
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
