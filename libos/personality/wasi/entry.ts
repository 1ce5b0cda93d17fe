/**
 * The boot's door into the WASI personality: read the picoprocess's .wasm entry, preopen every
 * mount of the manifest (in mount order, fds 3, 4, …; a mount at "/" is the guest's root), run
 * it and exit with its status.
 */
import type { InitMessage } from "../../init.ts";
import type { Sys } from "../../sys/types.ts";
import { runWasi } from "./run.ts";

/** What the WASI personality needs from a booted libOS. */
export interface WasiHostOs {
  readonly sys: Sys;
}

/**
 * Run the init message's `.wasm` entry under WASI and end the picoprocess with its exit status.
 *
 * @param os the booted libOS of this picoprocess.
 * @param init the init message (entry URL, argv, env, mounts).
 * @returns never: the picoprocess exits.
 */
export function runWasiEntry(os: WasiHostOs, init: InitMessage): Promise<never> {
  const bytes = Deno.readFileSync(new URL(init.entry));
  const code = runWasi(os.sys, bytes, {
    argv: init.argv,
    env: init.env,
    preopens: init.mounts.map((m) => ({ guestPath: m.path })),
  });
  return Promise.resolve(os.sys.exit(code));
}
