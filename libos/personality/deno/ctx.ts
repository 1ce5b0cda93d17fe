/**
 * What the Deno personality's pieces share: the Sys, the liveness counter, and helpers for
 * Deno's argument forms (string | URL paths) and its async API over the synchronous Sys.
 */
import type { Liveness } from "../../liveness.ts";
import type { Sys } from "../../sys/types.ts";
import { denoError } from "./errors.ts";

/** The personality's view of the libOS. */
export interface DenoCtx {
  readonly sys: Sys;
  readonly live: Liveness;
}

/** A Deno path argument as a guest path string. @throws {TypeError} for a non-file URL */
export function pathArg(p: string | URL): string {
  if (p instanceof URL) {
    if (p.protocol !== "file:") throw new TypeError("Must be a file URL");
    if (p.hostname !== "") throw new TypeError(`File URL host must be "localhost" or empty`);
    return decodeURIComponent(p.pathname);
  }
  if (typeof p !== "string") throw new TypeError(`path must be a string or a URL`);
  return p;
}

/**
 * Run `fn` as an async op: started at the call, as Deno starts its ops (a program that closes
 * a file right after `file.write(p)` still writes), counted by the liveness tracker, errors
 * converted for Deno, settled on a later tick.
 */
export function asyncOp<T>(
  ctx: DenoCtx,
  op: string,
  path: string | undefined,
  fn: () => T | Promise<T>,
): Promise<T> {
  let started: Promise<T>;
  try {
    started = Promise.resolve(fn());
  } catch (e) {
    started = Promise.reject(e);
  }
  return ctx.live.track(started.catch((e) => {
    throw denoError(e, op, path);
  }));
}
