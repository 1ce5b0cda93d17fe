/**
 * runWasi: load a preview1 command module over a libOS `Sys`, preopen the mounts, run `_start`
 * and return the exit status. Guest faults never throw: a module that will not load prints
 * `sandpiper: …` to the guest's stderr and returns 126; a trap prints the trap and returns 134
 * (128 + SIGABRT, as wasmtime does).
 */
import { O, type Sys } from "../../sys/types.ts";
import { RIGHTS_ALL, RIGHTS_SOCKET } from "./constants.ts";
import type { WasiCtx } from "./ctx.ts";
import { WasiExit } from "./errno.ts";
import { WasiFdTable } from "./fds.ts";
import { WASI_FUNCTIONS, WASI_MODULE, wasiImports } from "./imports.ts";
import { GuestMemory } from "./memory.ts";

/** Exit status of a module that cannot be loaded. */
export const EXIT_LOAD_ERROR = 126;
/** Exit status of a trap. */
export const EXIT_TRAP = 134;

/** A directory given to the guest at start (fd_prestat_*). */
export interface WasiPreopen {
  /** Absolute guest path of the directory; also the name the guest sees. */
  readonly guestPath: string;
  /** fd to place it at; default 3 + its index. */
  readonly fd?: number;
}

/** A listening socket given to the guest at start, after the preopened directories. */
export interface WasiListener {
  readonly hostname: string;
  readonly port: number;
}

/** Extra import modules (e.g. sandpiper_proc): module name → function name → function. */
export type ExtraImports = Record<string, Record<string, (...args: never[]) => unknown>>;

/** What `runWasi` needs besides the libOS and the module. */
export interface WasiOptions {
  /** argv, argv[0] being the program name. */
  readonly argv: readonly string[];
  /** The guest's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Preopened directories, in order. */
  readonly preopens: readonly WasiPreopen[];
  /** Listening TCP sockets to preopen after the directories (`--tcplisten`), in order. */
  readonly listeners?: readonly WasiListener[];
  /** Builds extra import modules once the instance's memory is known. */
  readonly extraImports?: (mem: GuestMemory) => ExtraImports;
}

/** A module that cannot run here: not wasm, unknown imports, no `_start` or `memory`. */
export class WasiLoadError extends Error {
  override name = "WasiLoadError";
}

/**
 * Compile bytes to a module, or explain why they are not one.
 *
 * @throws {WasiLoadError} if `bytes` is not a valid WebAssembly module.
 */
export function compileWasi(bytes: Uint8Array): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    if (!(e instanceof WebAssembly.CompileError)) throw e;
    throw new WasiLoadError(`not a valid WebAssembly module: ${e.message}`);
  }
}

/**
 * Run a WASI preview1 command module to completion.
 *
 * @param sys the picoprocess's libOS.
 * @param module the compiled module, or its bytes.
 * @param opts argv, environment and preopened directories.
 * @returns the exit status: `_start` returning is 0, proc_exit(n) is n, a trap is 134, a module
 *   that cannot load is 126.
 * @example
 * ```ts ignore
 * const code = runWasi(libos.sys, compileWasi(bytes), {
 *   argv: ["prog"], env: {}, preopens: [{ guestPath: "/" }],
 * });
 * libos.sys.exit(code);
 * ```
 */
export function runWasi(sys: Sys, module: WebAssembly.Module | Uint8Array, opts: WasiOptions) {
  const mem = new GuestMemory();
  let instance: WebAssembly.Instance;
  try {
    const mod = module instanceof WebAssembly.Module ? module : compileWasi(module);
    const fds = new WasiFdTable(sys);
    preopen(sys, fds, opts.preopens);
    listen(sys, fds, opts.listeners ?? [], 3 + opts.preopens.length);
    const ctx: WasiCtx = {
      sys,
      mem,
      fds,
      args: opts.argv,
      env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`),
      startNs: sys.clockGettime("monotonic"),
    };
    const extra = opts.extraImports?.(mem) ?? {};
    checkImports(mod, extra);
    instance = instantiate(mod, { [WASI_MODULE]: wasiImports(ctx), ...extra });
    const memory = instance.exports["memory"];
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new WasiLoadError("module exports no memory");
    }
    if (typeof instance.exports["_start"] !== "function") {
      throw new WasiLoadError("module exports no _start (only commands can run)");
    }
    mem.bind(memory);
  } catch (e) {
    if (!(e instanceof WasiLoadError)) throw e;
    say(sys, `sandpiper: cannot run ${opts.argv[0] ?? "module"}: ${e.message}\n`);
    return EXIT_LOAD_ERROR;
  }
  return start(sys, instance.exports["_start"] as () => void);
}

function start(sys: Sys, entry: () => void): number {
  try {
    entry();
    return 0;
  } catch (e) {
    if (e instanceof WasiExit) return e.code;
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      const top = (e.stack ?? "").split("\n").slice(1, 6).join("\n");
      say(sys, `sandpiper: wasm trap: ${e.message}\n${top}\n`);
      return EXIT_TRAP;
    }
    throw e; // a host bug, not the guest's doing: the libOS reports it as fatal
  }
}

function instantiate(mod: WebAssembly.Module, imports: WebAssembly.Imports): WebAssembly.Instance {
  try {
    return new WebAssembly.Instance(mod, imports);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) throw new WasiLoadError(e.message);
    if (e instanceof WebAssembly.RuntimeError) {
      throw new WasiLoadError(`start function trapped: ${e.message}`);
    }
    throw e;
  }
}

function checkImports(mod: WebAssembly.Module, extra: ExtraImports): void {
  const known = new Set(WASI_FUNCTIONS);
  const bad = WebAssembly.Module.imports(mod).filter((i) => {
    if (i.kind !== "function") return true;
    if (i.module === WASI_MODULE) return !known.has(i.name);
    return !(extra[i.module] && i.name in extra[i.module]!);
  });
  if (bad.length > 0) {
    const list = bad.map((i) => `${i.module}.${i.name} (${i.kind})`).join(", ");
    throw new WasiLoadError(`unknown imports: ${list}`);
  }
}

function preopen(sys: Sys, fds: WasiFdTable, list: readonly WasiPreopen[]): void {
  list.forEach((p, i) => {
    const want = p.fd ?? 3 + i;
    let fd = sys.open(p.guestPath, O.RDONLY | O.DIRECTORY | O.CLOEXEC);
    if (fd !== want) {
      sys.dup2(fd, want);
      sys.close(fd);
      fd = want;
    }
    fds.add(fd, sys.fstat(fd), RIGHTS_ALL, RIGHTS_ALL, p.guestPath);
  });
}

/** Bind each listener at the next fd from `first`; one that cannot bind (a port a parent holds,
 * a revoked grant) is left out and says so on stderr. */
function listen(sys: Sys, fds: WasiFdTable, list: readonly WasiListener[], first: number): void {
  let want = first;
  for (const l of list) {
    let fd: number;
    try {
      fd = sys.listen(l.hostname, l.port, O.CLOEXEC);
    } catch (e) {
      say(sys, `sandpiper: no listening socket for ${l.hostname}:${l.port}: ${String(e)}\n`);
      continue;
    }
    if (fd !== want) {
      sys.dup2(fd, want);
      sys.close(fd);
      fd = want;
    }
    fds.add(fd, sys.fstat(fd), RIGHTS_SOCKET, 0n, null);
    want++;
  }
}

function say(sys: Sys, text: string): void {
  try {
    sys.write(2, new TextEncoder().encode(text));
  } catch (e) {
    // stderr closed or not granted: the exit status still tells the story
    if (!(e instanceof Error)) throw e;
  }
}
