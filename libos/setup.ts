/**
 * Boot-time wiring of a Kernel from the init message: the manifest's mounts plus the built-in
 * /dev and /proc, and fds 0, 1, 2 as the host asked (host devices, /dev/null, or pipe rings).
 */
import { PipeRing } from "../pal/pipe_ring.ts";
import { palToErrno } from "./errno.ts";
import { OpenFile } from "./fd_table.ts";
import type { Handle } from "./handle.ts";
import type { StdioSpec } from "./init.ts";
import type { Kernel } from "./kernel.ts";
import { PipeHandle } from "./pipe_handle.ts";
import { O } from "./sys/types.ts";
import { devFs, GuestDevHandle } from "./vfs/dev_fs.ts";
import { HostDevHandle } from "./vfs/host_handle.ts";
import { HostFs } from "./vfs/host_fs.ts";
import { procFs } from "./vfs/proc_fs.ts";
import { DuplexPipeHandle, SharedPipeHandle } from "./proc/pipe.ts";
import { binFs } from "./proc/bin_fs.ts";
import { inheritedFile } from "./proc/share.ts";
import { openat } from "./sys/file.ts";
import { AT_FDCWD } from "./sys/types.ts";

function report(k: Kernel, spec: StdioSpec, e: unknown): void {
  const what = spec.kind === "open" ? spec.path : spec.kind;
  const msg = `${what}: ${e instanceof Error ? e.message : String(e)}\n`;
  try {
    k.fds.get(2).handle.write(new TextEncoder().encode(msg), null);
  } catch (_e) {
    // stderr is not writable either: the child still starts, with fd at /dev/null.
  }
}

/** Mount the manifest's file systems, then /dev and /proc unless the manifest covers them. */
export function setupMounts(k: Kernel): void {
  for (const m of k.init.mounts) {
    k.mounts.add(
      m.path,
      new HostFs(k.pal, m.id, m.type, m.readonly),
      m.readonly ? "ro" : "rw",
    );
  }
  const taken = new Set(k.init.mounts.map((m) => m.path));
  if (!taken.has("/dev")) k.mounts.add("/dev", devFs(k), "rw,nosuid");
  if (!taken.has("/proc")) k.mounts.add("/proc", procFs(k), "rw,nosuid,nodev,noexec");
  if (!taken.has("/bin")) k.mounts.add("/bin", binFs(), "ro");
}

const NAMES = ["stdin", "stdout", "stderr"] as const;

function stdioHandle(k: Kernel, fd: 0 | 1 | 2, spec: StdioSpec): Handle {
  switch (spec.kind) {
    case "host": {
      // The host opened it in this process's table at spawn; else open it now.
      let h = spec.handle;
      if (!Number.isSafeInteger(h) || h! < 0) {
        try {
          h = k.pal.call("stream_open", spec.uri, fd === 0 ? 1 : 2, 0);
        } catch (e) {
          throw palToErrno(e, spec.uri);
        }
      }
      return new HostDevHandle(k.pal, h!, spec.uri, NAMES[fd]);
    }
    case "null":
      return new GuestDevHandle("/dev/null", "null", 0x103);
    case "pipe": {
      const ring = PipeRing.attach(spec.sab);
      if (spec.end === "both") {
        // A FIFO opened O_RDWR: both ends, which only a host-registered ring has.
        if (spec.id === undefined) throw new Error("a pipe with both ends needs a host ring id");
        return new DuplexPipeHandle(k.pal, spec.id, ring);
      }
      if (spec.id !== undefined) return new SharedPipeHandle(k.pal, spec.id, spec.end, ring);
      return new PipeHandle(spec.end === "read" ? ring.adoptReader() : ring.adoptWriter());
    }
    case "open":
    case "file":
      throw new Error("file specs are installed by installFd");
  }
}

/** Install `spec` at `fd` (the lower fds are already taken at boot). */
function installFd(k: Kernel, fd: number, spec: StdioSpec): void {
  if (spec.kind === "file") {
    const got = k.fds.install(inheritedFile(k, spec), false, fd);
    if (got !== fd) {
      k.fds.dupTo(got, fd);
      k.fds.close(got);
    }
    return;
  }
  if (spec.kind === "open") {
    const got = openat(k, AT_FDCWD, spec.path, spec.flags, spec.mode);
    const of = k.fds.get(got);
    if (spec.offset > 0 && of.handle.seekable) of.offset = spec.offset;
    if (got !== fd) {
      k.fds.dupTo(got, fd);
      k.fds.close(got);
    }
    return;
  }
  const flags = spec.kind === "pipe"
    ? (spec.end === "read" ? O.RDONLY : spec.end === "write" ? O.WRONLY : O.RDWR)
    : fd === 0
    ? O.RDONLY
    : O.WRONLY;
  const dev = spec.kind === "host" ? NAMES.indexOf(spec.uri.slice(4) as "stdin") : fd;
  const of = new OpenFile(stdioHandle(k, Math.min(dev, 2) as 0 | 1 | 2, spec), flags);
  const got = k.fds.install(of, false, fd);
  if (got !== fd) {
    k.fds.dupTo(got, fd);
    k.fds.close(got);
  }
}

/** Install the extra fds of a spawn or fork (above 2); one that cannot open is closed. */
export function setupExtraFds(k: Kernel): void {
  for (const { fd, spec } of k.init.fds ?? []) {
    try {
      installFd(k, fd, spec);
    } catch (e) {
      k.discover(`fd ${fd} not inherited: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** Install fds 0, 1 and 2 (the table is empty at boot, so the lowest free fd is `i`). */
export function setupStdio(k: Kernel): void {
  k.init.stdio.forEach((spec, i) => {
    const fd = i as 0 | 1 | 2;
    try {
      installFd(k, fd, spec);
    } catch (e) {
      // A redirection that cannot open (`< missing`): say so on stderr (if any), read EOF.
      if (fd !== 2 && k.fds.fds().includes(2)) report(k, spec, e);
      installFd(k, fd, { kind: "null" });
    }
  });
}
