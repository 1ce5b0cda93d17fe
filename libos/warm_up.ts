/**
 * The warm-up of a pooled Worker (libos/boot.ts, `WARM_UP`): once the built-in programs are
 * loaded and the Deno personality is prepared, run whole built-in processes over a PAL that
 * answers in the Worker (`rehearseProcess`), so the code every process runs is compiled before
 * a process needs it.
 * @module
 */
import type { PalClient } from "../pal/guest/client.ts";
import { Interrupt } from "../pal/futex.ts";
import type { InitMessage } from "./init.ts";
import { PipeHandle } from "./pipe_handle.ts";
import { SIG_FLAG_TABLE, SIGNAL_PAGE_BYTES, SIGNAL_TABLE_BYTES, SigWord } from "./signal/shared.ts";
import { Libos } from "./libos.ts";
import { BUILTIN_SCHEME } from "./bin/names.ts";
import type { PreparedDeno } from "./personality/deno/install.ts";

/**
 * A PAL client stand-in that answers in the Worker: `stream_open` gives a new handle number,
 * `stream_write` takes all it is given (to nowhere), `process_recycle` says keep the Worker (1),
 * `process_exit` fails (`onExit` is told: a rehearsal must never end the Worker), anything else
 * answers nothing.
 */
function localPal(onExit: (code: unknown) => void): PalClient {
  let handles = 200;
  return {
    call: (name: string, ...args: unknown[]) => {
      if (name === "process_recycle") return 1;
      if (name === "process_exit") {
        onExit(args[0]);
        throw new Error("sandpiper warm-up: a rehearsal process exited");
      }
      // A write (the rehearsal's console line) goes nowhere, all of it at once.
      if (name === "stream_write") return (args[2] as { length?: number } | undefined)?.length ?? 0;
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
 * Run one whole process of the built-in `true` in this Worker, as a spawn runs it, over a local PAL
 * (`localPal`): the Libos boots from a throwaway init message (as a rehearsal: it neither listens
 * for host control messages, which are for the real process, nor catches uncaught errors, so a
 * failure reaches the host), the prepared Deno personality is bound to it, `console.log` writes a
 * line to its stdout (which the local PAL drops), the program runs, the process ends idle and is
 * recycled (libos.ts `Libos.idle` undoes what it put into the Worker's globals, as between two
 * real processes). Call only once the built-in programs are loaded (libos/bin/mod.ts
 * `warmBuiltins`) and `prepared` is installed.
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
      // An app's first line of output runs the personality's console and write path: measured,
      // ~0.5–1 ms of a new Worker's first process when nothing ran them before.
      globalThis.console.log("", 0);
      os.runModule(init.entry).catch((e) => fail(`failed: ${e}`));
    });
  } finally {
    clearTimer(timer);
    PipeHandle.interrupt = undefined;
  }
}
