/**
 * The boot's door into the WASI personality: read the picoprocess's .wasm entry, preopen every
 * mount of the manifest (in mount order, fds 3, 4, …; a mount at "/" is the guest's root), then
 * a listening socket per `net.listen` entry, run it and exit with its status.
 */
import type { PalClient } from "../../../pal/guest/client.ts";
import type { InitMessage } from "../../init.ts";
import { parseHostPort } from "../../socket_handle.ts";
import type { Sys } from "../../sys/types.ts";
import { PROC_MODULE, procImports } from "./proc_calls.ts";
import { runWasi, type WasiListener } from "./run.ts";

/** What the WASI personality needs from a booted libOS. */
export interface WasiHostOs {
  readonly sys: Sys;
  /** The PAL client: the policy's net.listen entries become listening sockets. */
  readonly pal?: PalClient;
}

/**
 * Run the init message's `.wasm` entry under WASI and end the picoprocess with its exit status.
 *
 * @param os the booted libOS of this picoprocess.
 * @param init the init message (entry URL, argv, env, mounts).
 * @param readHostFile Deno's own file read (the Worker's permissions apply), as captured before
 *   any personality was installed (boot.ts).
 * @returns never: the picoprocess exits.
 */
export function runWasiEntry(
  os: WasiHostOs,
  init: InitMessage,
  readHostFile: (url: URL) => Uint8Array = Deno.readFileSync,
): Promise<never> {
  const bytes = readHostFile(new URL(init.entry));
  const code = runWasi(os.sys, bytes, {
    argv: init.argv,
    env: init.env,
    preopens: init.mounts.filter((m) => !m.code).map((m) => ({ guestPath: m.path })),
    listeners: init.ppid === 0 && os.pal ? listeners(os.pal) : [],
    extraImports: (mem) => ({ [PROC_MODULE]: procImports(os.sys, mem, init.limits.maxFds) }),
  });
  return Promise.resolve(os.sys.exit(code));
}

/** The policy's `net.listen` entries (as wasmtime's `--tcplisten`), for a process the host
 * started; a guest's children get sockets only through the fds their parent passes. */
function listeners(pal: PalClient): WasiListener[] {
  const pol = pal.call("sandbox_policy") as { net?: { listen?: unknown } } | null;
  const list = Array.isArray(pol?.net?.listen) ? pol.net.listen : [];
  return list.flatMap((e) => {
    const a = typeof e === "string" ? parseHostPort(e) : null;
    return a ? [a] : [];
  });
}
