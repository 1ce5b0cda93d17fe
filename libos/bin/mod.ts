/**
 * Loaders of the built-in programs. The imports are literal, so they load with the module graph
 * of boot (the host's read permission), not the Worker's: a guest never needs read access to
 * Sandpiper's source to run /bin programs.
 *
 * A built-in module has no top-level side effects: it only defines functions, and its program
 * is its export `main`, which the runner (`Libos.runModule`) calls after the Deno personality is
 * installed. So a pooled Worker can import them all while it warms up (`warmBuiltins`, called by
 * libos/boot.ts) without running any program, and a spawn finds its module already loaded and
 * compiled.
 */
import { BUILTIN_NAMES, type BuiltinName } from "./names.ts";

/**
 * A built-in program's module: `main` runs the program (reads `Deno.args`) and returns its exit
 * status (none: 0), which the process exits with once nothing is left (an explicit `Deno.exit`
 * ends it at once, and its Worker is not recycled: libos.ts `Libos.idle`).
 */
export interface BuiltinModule {
  main(): Promise<number | void> | number | void;
}

const LOADERS: Record<BuiltinName, () => Promise<BuiltinModule>> = {
  cat: () => import("./cat.ts"),
  echo: () => import("./echo.ts"),
  false: () => import("./false.ts"),
  grep: () => import("./grep.ts"),
  head: () => import("./head.ts"),
  kill: () => import("./kill.ts"),
  ls: () => import("./ls.ts"),
  mkfifo: () => import("./mkfifo.ts"),
  ps: () => import("./ps.ts"),
  sh: () => import("./sh.ts"),
  sleep: () => import("./sleep.ts"),
  sort: () => import("./sort.ts"),
  true: () => import("./true.ts"),
  wc: () => import("./wc.ts"),
};

/** Modules already imported in this Worker (by `warmBuiltins`), so a spawn skips the import. */
const loaded = new Map<string, BuiltinModule>();

/**
 * Import built-in `name` (no program runs: call its `main`).
 * @throws {Deno.errors.NotFound} for a name that is no built-in
 */
export function loadBuiltin(name: string): Promise<BuiltinModule> {
  const mod = loaded.get(name);
  if (mod) return Promise.resolve(mod);
  const load = (LOADERS as Record<string, (() => Promise<BuiltinModule>) | undefined>)[name];
  if (!load) return Promise.reject(new Deno.errors.NotFound(`no built-in program ${name}`));
  return load();
}

/**
 * Import every built-in module, one after the other, through the same loaders (so with the same
 * permissions), until `stop()` says to stop (the Worker was given a process). No program runs.
 * A failed import only means less was warmed.
 */
export async function warmBuiltins(stop: () => boolean = () => false): Promise<void> {
  for (const name of BUILTIN_NAMES) {
    if (stop()) return;
    try {
      loaded.set(name, await LOADERS[name]());
    } catch (_e) {
      // Only warming.
    }
  }
}
