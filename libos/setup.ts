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
}

const NAMES = ["stdin", "stdout", "stderr"] as const;

function stdioHandle(k: Kernel, fd: 0 | 1 | 2, spec: StdioSpec): Handle {
  switch (spec.kind) {
    case "host": {
      let h: number;
      try {
        h = k.pal.call("stream_open", spec.uri, fd === 0 ? 1 : 2, 0);
      } catch (e) {
        throw palToErrno(e, spec.uri);
      }
      return new HostDevHandle(k.pal, h, spec.uri, NAMES[fd]);
    }
    case "null":
      return new GuestDevHandle("/dev/null", "null", 0x103);
    case "pipe": {
      const ring = PipeRing.attach(spec.sab);
      return new PipeHandle(spec.end === "read" ? ring.adoptReader() : ring.adoptWriter());
    }
  }
}

/** Install fds 0, 1 and 2 (the table is empty at boot, so the lowest free fd is `i`). */
export function setupStdio(k: Kernel): void {
  k.init.stdio.forEach((spec, i) => {
    const fd = i as 0 | 1 | 2;
    const of = new OpenFile(stdioHandle(k, fd, spec), fd === 0 ? O.RDONLY : O.WRONLY);
    k.fds.dupTo(k.fds.install(of, false, fd), fd);
  });
}
