/**
 * The warm-up of a pooled Worker (libos/boot.ts, `WARM_UP`): run the process-independent part of
 * a boot over a throwaway kernel so the code every process runs first is compiled before a
 * process needs it (`rehearse`); then, once the built-in programs are loaded and the Deno
 * personality is prepared, run whole built-in processes over a PAL that answers in the Worker
 * (`rehearseProcess`), so the path of a real process is compiled too.
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
import { Libos } from "./libos.ts";
import { BUILTIN_SCHEME } from "./bin/names.ts";
import type { PreparedDeno } from "./personality/deno/install.ts";

/**
 * Run the process-independent part of a boot once over a throwaway kernel: no host call, no
 * listener, no timer, no global left changed (PipeHandle's interrupt token is reset; the real
 * kernel sets it again; the personality's members are built, never installed). Anything that
 * fails here only means less was warmed.
 */
export function rehearse(): void {
  const pal = localPal();
  const init = throwawayInit("");
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

/**
 * A PAL client stand-in that answers in the Worker: `stream_open` gives a new handle number,
 * `process_recycle` says keep the Worker (1), `process_exit` fails (`onExit` is told: a rehearsal
 * must never end the Worker), anything else answers nothing.
 */
function localPal(onExit: (code: unknown) => void = () => {}): PalClient {
  let handles = 200;
  return {
    call: (name: string, ...args: unknown[]) => {
      if (name === "process_recycle") return 1;
      if (name === "process_exit") {
        onExit(args[0]);
        throw new Error("sandpiper warm-up: a rehearsal process exited");
      }
      return name === "stream_open" ? ++handles : undefined;
    },
    callAsync: () => Promise.resolve(undefined),
    callInto: () => 0,
    batch: (calls: readonly unknown[]) => calls.map(() => undefined),
    takeMessage: () => undefined,
    quiescent: true,
    reset: () => {},
  } as unknown as PalClient;
}

/** An init message for a throwaway process (pid 0, the mounts and stdio a child usually has). */
function throwawayInit(entry: string): InitMessage {
  let handles = 2;
  const host = (
    uri: "dev:stdin" | "dev:stdout" | "dev:stderr",
  ) => ({ kind: "host", uri, handle: ++handles } as const);
  // A page in the signal table, as the host makes for a spawned child.
  const page = new SharedArrayBuffer(SIGNAL_PAGE_BYTES);
  Atomics.store(new Int32Array(page), SigWord.FLAGS, SIG_FLAG_TABLE);
  return {
    type: "init",
    pid: 0,
    ppid: 0,
    sandboxId: "",
    entry,
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
}

/** Deno's own timers, taken when this module loads (before the personality counts them). */
const setTimer = globalThis.setTimeout, clearTimer = globalThis.clearTimeout;
/** The longest a rehearsal process may take (ms): it ends in well under a millisecond. */
const REHEARSAL_LIMIT_MS = 2000;

/**
 * Run one whole process of the built-in `true` in this Worker, as a spawn runs it, over a local
 * PAL (`localPal`): the Libos boots from a throwaway init message (as a rehearsal: it neither
 * listens for host control messages, which are for the real process, nor catches uncaught
 * errors, so a failure reaches the host), the prepared Deno personality is bound to it, the program runs, the process ends idle and is recycled (libos.ts `Libos.idle` undoes what
 * it put into the Worker's globals, as between two real processes). Call only once the built-in
 * programs are loaded (libos/bin/mod.ts `warmBuiltins`) and `prepared` is installed.
 * @throws {Error} if the process exited instead, failed, or did not end within
 *   REHEARSAL_LIMIT_MS (the Worker must then not be used: boot lets the error end it)
 */
export async function rehearseProcess(prepared: PreparedDeno): Promise<void> {
  const init = throwawayInit(`${BUILTIN_SCHEME}true`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) =>
        reject(new Error(`sandpiper warm-up: a rehearsal process ${why}`));
      timer = setTimer(() => fail("did not end"), REHEARSAL_LIMIT_MS);
      const os = new Libos(init, localPal((code) => fail(`exited with ${code}`)), {
        prepared,
        ahead: true,
        recycled: () => resolve(),
        rehearsal: true,
      });
      os.installDenoPersonality();
      os.runModule(init.entry).catch((e) => fail(`failed: ${e}`));
    });
  } finally {
    clearTimer(timer);
    PipeHandle.interrupt = undefined;
  }
}
