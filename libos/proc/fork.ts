/**
 * The child side of fork-with-state: after the program module is imported (its top level runs
 * again — guard it with `forkedChild()`), call its export `entry` with the deserialized state.
 */
import { deserialize, serialize } from "node:v8";
import { inheritProcessSpace } from "../../pal/guest/local_state.ts";
import type { SpaceSnapshot } from "../../pal/vma_snapshot.ts";
import { Errno, ErrnoError } from "../errno.ts";
import { currentLibos } from "../libos.ts";

/**
 * Call `mod[fork.entry](state)` and await it; the parent's private memory (if it had an address
 * space) becomes this process's, restored when the process's GuestPal first uses its space.
 * @throws {ErrnoError} ENOENT for a missing export
 */
export async function runForked(
  mod: Record<string, unknown>,
  fork: { readonly entry: string; readonly state: Uint8Array },
): Promise<void> {
  const fn = mod[fork.entry];
  if (typeof fn !== "function") {
    throw new ErrnoError(Errno.ENOENT, `the program exports no function ${fork.entry}`);
  }
  const packed = deserialize(fork.state) as { state: unknown; memory: SpaceSnapshot | null };
  if (packed.memory) inheritProcessSpace(packed.memory);
  await fn(packed.state);
}

/**
 * Whether this process is a fork-with-state child (its program's top level should then skip
 * the parent's main path).
 * @returns true in a fork child
 * @example
 * ```ts ignore
 * import { forkedChild } from "@sandpiper/sandpiper/libos";
 * if (!forkedChild()) main();
 * ```
 */
export function forkedChild(): boolean {
  return currentLibos()?.init.fork !== undefined;
}

/**
 * Run the fork state's deserializer once, on a state of the usual shapes: a pooled Worker's
 * warm-up (libos/boot.ts) does, so a fork child does not pay its first run (measured: ~80 µs
 * less from its import to its entry).
 */
export function warmForkState(): void {
  deserialize(serialize({ state: { s: "x", n: 1, a: [true, null], m: new Map() }, memory: null }));
}
