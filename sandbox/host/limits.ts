/**
 * Sandbox-wide limits enforced by the host beyond the per-call checks: the typed error a limit
 * check throws (so the embedding app learns which limit), and the memory watch of a host
 * process (`process` isolation), which bounds what the V8 heap cap cannot — SharedArrayBuffers,
 * ArrayBuffers and Workers a guest creates itself.
 */
import { type PalCodeValue, PalError } from "../../pal/errors.ts";
import type { LimitName } from "./protocol.ts";

/** A PAL error that also names the manifest limit that caused it. */
export class LimitExceeded extends PalError {
  /**
   * @param limit the manifest limit (`max_processes`, …)
   * @param code the PAL code the guest sees (TRY_AGAIN → EAGAIN, TOO_MANY → EMFILE, …)
   * @param message says which key and its value
   */
  constructor(readonly limit: LimitName, code: PalCodeValue, message: string) {
    super(code, message);
  }
}

/** Resident memory a host process may use beyond `sys.max_memory`: the runtime itself. */
export const RUNTIME_ALLOWANCE_BYTES = 64 << 20;
/** … plus this much per live picoprocess (a Worker's isolate and the libOS modules). */
export const PER_PROCESS_ALLOWANCE_BYTES = 32 << 20;

/**
 * The resident-set ceiling of a sandbox host process: `sys.max_memory` for the sandbox's own
 * data, plus the runtime's allowance.
 * @param maxMemoryBytes `sys.max_memory`
 * @param liveProcesses picoprocesses not yet exited
 * @example
 * ```ts
 * import { rssCeilingBytes } from "./limits.ts";
 * console.assert(rssCeilingBytes(128 << 20, 1) === (128 + 64 + 32) << 20);
 * ```
 */
export function rssCeilingBytes(maxMemoryBytes: number, liveProcesses: number): number {
  return maxMemoryBytes + RUNTIME_ALLOWANCE_BYTES + PER_PROCESS_ALLOWANCE_BYTES * liveProcesses;
}

/** What the memory watch needs from the host. */
export interface MemoryWatched {
  readonly maxMemoryBytes: number;
  /** Picoprocesses not yet exited. */
  liveProcesses(): number;
  /** End the sandbox for exceeding `limit`. */
  limit(limit: LimitName, message: string): void;
}

/**
 * Poll this process's resident set every `intervalMs` and end the sandbox (`max_memory`) once it
 * passes the ceiling. Only meaningful when the process holds one sandbox (`process`
 * isolation): in `worker` isolation the RSS is the embedding app's.
 * @returns a function that stops the watch
 */
export function watchMemory(host: MemoryWatched, intervalMs = 25): () => void {
  const timer = setInterval(() => {
    const rss = Deno.memoryUsage().rss;
    const ceiling = rssCeilingBytes(host.maxMemoryBytes, host.liveProcesses());
    if (rss > ceiling) {
      clearInterval(timer);
      host.limit(
        "max_memory",
        `the sandbox used ${rss} bytes of memory, more than sys.max_memory ` +
          `(${host.maxMemoryBytes} bytes) plus the runtime allowance (${ceiling} in all)`,
      );
    }
  }, intervalMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
