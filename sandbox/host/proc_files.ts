/**
 * Open file descriptions shared across picoprocesses. A guest that passes a file fd to a child
 * first calls `file_share(handle)`: the host pairs the host handle with a small SharedArrayBuffer
 * (libos/proc/shared_file.ts: position, status flags, lock) and hands it over. process_create
 * and process_exec then bind the *same* host handle into the child's table (refcounted by
 * `shareHandle`, so a close in one process leaves the file open in the other) and give the child
 * the same buffer: one description, one position, in every process that holds it.
 *
 * A process that dies while holding a description's lock (inside a read or write) has it freed
 * here before its handles are closed.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import { type HostHandle, shareHandle } from "../../pal/host/handles.ts";
import type { StdioSpec } from "../../libos/init.ts";
import { releaseIfHeld, SHARED_FILE_BYTES } from "../../libos/proc/shared_file.ts";
import type { HostProc } from "./proc.ts";

/** The description buffer of each shared host file handle. */
const descriptions = new WeakMap<HostHandle, SharedArrayBuffer>();

/** A file fd spec of process_create/process_exec: `handle` is filled in per child. */
export type FileSpec = Extract<StdioSpec, { kind: "file" }>;

/** The host calls: file_share. */
export function fileHandlers(): HostHandlers<HostProc> {
  return {
    file_share(ctx, h) {
      const hd = ctx.owner.handles.get(h);
      if (hd.kind !== "file") throw new PalError(PalCode.INVAL, `handle ${h} is not a file`);
      let sab = descriptions.get(hd);
      const fresh = !sab;
      if (!sab) descriptions.set(hd, sab = new SharedArrayBuffer(SHARED_FILE_BYTES));
      ctx.transfer(sab);
      return fresh ? 1 : 0;
    },
  };
}

/**
 * Check a guest `{kind: "file", handle, path}` spec: the caller must hold `handle`, shared.
 * @returns the spec and a function that binds the handle into the child's table
 */
export function fileSpec(
  caller: HostProc,
  handle: unknown,
  path: string,
): { spec: FileSpec; bind: (child: HostProc) => void } {
  if (!Number.isSafeInteger(handle)) throw new PalError(PalCode.INVAL, "bad file handle");
  const hd = caller.handles.get(handle as number);
  const sab = descriptions.get(hd);
  if (hd.kind !== "file" || !sab) {
    throw new PalError(PalCode.BAD_HANDLE, `handle ${handle} is not a shared file`);
  }
  const spec = { kind: "file", handle: 0, sab, path, uri: hd.uri } as FileSpec;
  return {
    spec,
    bind(child) {
      // The same process (exec) keeps its own binding; another one gets a new binding.
      const id = child === caller ? handle as number : child.handles.add(shareHandle(hd));
      (spec as { handle: number }).handle = id;
    },
  };
}

/** `p` is ending: free every description lock it holds. */
export function releaseFileLocks(p: HostProc): void {
  for (const [, h] of p.handles.entries()) {
    const sab = descriptions.get(h);
    if (sab) releaseIfHeld(sab, p.pid);
  }
}
