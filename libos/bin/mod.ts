/**
 * Loaders of the built-in programs. The imports are literal, so they load with the module graph
 * of boot (the host's read permission), not the Worker's: a guest never needs read access to
 * Sandpiper's source to run /bin programs.
 */
import type { BuiltinName } from "./names.ts";

const LOADERS: Record<BuiltinName, () => Promise<Record<string, unknown>>> = {
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

/** Import built-in `name` (running its top level). @throws {Deno.errors.NotFound} */
export function loadBuiltin(name: string): Promise<Record<string, unknown>> {
  const load = (LOADERS as Record<string, (() => Promise<Record<string, unknown>>) | undefined>)[
    name
  ];
  if (!load) return Promise.reject(new Deno.errors.NotFound(`no built-in program ${name}`));
  return load();
}
