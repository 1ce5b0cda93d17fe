/**
 * Deno process members: env (a private copy of the manifest's), args, exit, pid, ppid,
 * mainModule, and the APIs the sandbox does not virtualize (each throws NotCapable).
 */
import { notInSandbox, rustDebug } from "./errors.ts";

/** Deno.env over a private copy of `initial`. */
export function makeEnv(initial: Readonly<Record<string, string>> | Map<string, string>): Deno.Env {
  // A Map is used as is: the kernel's environment, which children inherit.
  const vars = initial instanceof Map ? initial : new Map(Object.entries(initial));
  const checkKey = (k: string) => {
    if (typeof k !== "string" || k === "") throw new TypeError("Key is an empty string.");
    if (k.includes("=") || k.includes("\0")) {
      throw new TypeError(`Key contains invalid characters: ${rustDebug(k)}`);
    }
  };
  return {
    get(k: string) {
      checkKey(k);
      return vars.get(k);
    },
    set(k: string, v: string) {
      checkKey(k);
      const value = String(v);
      if (value.includes("\0")) {
        throw new TypeError(`Value contains invalid characters: ${rustDebug(value)}`);
      }
      vars.set(k, value);
    },
    delete(k: string) {
      checkKey(k);
      vars.delete(k);
    },
    has(k: string) {
      checkKey(k);
      return vars.has(k);
    },
    toObject() {
      return Object.fromEntries(vars);
    },
  };
}

/** Deno members that would reach the host: replaced by functions that throw NotCapable. */
export const DENIED = [
  "spawn",
  "spawnAndWait",
  "spawnAndWaitSync",
  "run",
  "Process",
  "dlopen",
  "UnsafeCallback",
  "UnsafePointer",
  "UnsafePointerView",
  "UnsafeFnPointer",
  "connect",
  "connectTls",
  "listen",
  "listenTls",
  "listenDatagram",
  "startTls",
  "serve",
  "serveHttp",
  "resolveDns",
  "networkInterfaces",
  "createHttpClient",
  "HttpClient",
  "openKv",
  "cron",
  "watchFs",
  "chown",
  "chownSync",
  "loadavg",
  "osRelease",
  "osUptime",
  "systemMemoryInfo",
  "hostname",
  "uid",
  "gid",
] as const;

/** A function (and constructor) that throws NotCapable for `name`. */
export function denied(name: string): () => never {
  return function () {
    throw notInSandbox(name);
  };
}
