/**
 * Both sides of passing a file fd to another process with its open file description shared:
 * the parent turns the description into a shared one (`file_share`: the host pairs its host
 * handle with a position buffer), the child rebuilds it from the spec the host gives it
 * (sandbox/host/proc_files.ts).
 */
import { palToErrno } from "../errno.ts";
import { OpenFile } from "../fd_table.ts";
import type { StdioSpec } from "../init.ts";
import type { Kernel } from "../kernel.ts";
import { HostFileHandle } from "../vfs/host_handle.ts";
import { SharedDescription } from "./shared_file.ts";

/** How process_create names a shared file fd: the caller's host handle. */
export interface SharedFileDesc {
  readonly kind: "file";
  readonly handle: number;
  readonly path: string;
}

/**
 * Make `of` shareable with a child (once; later calls reuse it).
 * @returns its description for process_create, or null when it is not a host file
 */
export function shareFile(k: Kernel, of: OpenFile): SharedFileDesc | null {
  const h = of.handle;
  if (!(h instanceof HostFileHandle)) return null;
  if (!of.shared) {
    let sab: SharedArrayBuffer;
    try {
      k.pal.call("file_share", h.palHandle);
      sab = k.pal.takeMessage() as SharedArrayBuffer;
    } catch (e) {
      throw palToErrno(e, h.path);
    }
    of.share(new SharedDescription(sab, k.init.pid), true);
  }
  return { kind: "file", handle: h.palHandle, path: h.path };
}

/** The child's open file description for an inherited `file` spec. */
export function inheritedFile(k: Kernel, spec: Extract<StdioSpec, { kind: "file" }>): OpenFile {
  const d = new SharedDescription(spec.sab, k.init.pid);
  const of = new OpenFile(new HostFileHandle(k.pal, spec.handle, spec.path, spec.uri), d.flags);
  of.share(d, false);
  return of;
}
