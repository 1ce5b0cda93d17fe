/**
 * /dev, generated in the guest: null, zero, random, urandom (guest-side CSPRNG), tty (the host's
 * `dev:tty` stream), stdin/stdout/stderr and fd (links into /proc/self/fd, as on Linux).
 */
import { Errno } from "../errno.ts";
import { Handle, type HandleKind, makeStat } from "../handle.ts";
import type { Kernel } from "../kernel.ts";
import { S, type Stat } from "../sys/types.ts";
import { HostDevHandle, pcall } from "./host_handle.ts";
import type { OpenRequest } from "./mount.ts";
import { VirtualFs, type VNode } from "./virtual_fs.ts";

const DEV_NO = 5;
type DevKind = "null" | "zero" | "random";

/** A character device served in the guest. */
export class GuestDevHandle extends Handle {
  readonly kind: HandleKind = "dev";
  readonly seekable = false;
  constructor(path: string, readonly dev: DevKind, readonly rdev: number) {
    super(path);
  }
  override read(buf: Uint8Array): number {
    if (this.dev === "null") return 0;
    if (this.dev === "zero") {
      buf.fill(0);
      return buf.length;
    }
    for (let i = 0; i < buf.length; i += 65536) {
      crypto.getRandomValues(buf.subarray(i, Math.min(buf.length, i + 65536)));
    }
    return buf.length;
  }
  override write(buf: Uint8Array): number {
    return buf.length;
  }
  stat(): Stat {
    return devStat(this.rdev);
  }
  protected close(): void {}
}

function devStat(rdev: number, ino = rdev): Stat {
  return makeStat({
    dev: DEV_NO,
    ino,
    mode: S.IFCHR | 0o666,
    rdev,
    atimeMs: 0,
    mtimeMs: 0,
    ctimeMs: 0,
  });
}

/** The /dev file system of a process. */
export function devFs(k: Kernel): VirtualFs {
  // Built at the first lookup (see procFs).
  let root: VNode | null = null;
  const build = (): VNode => {
    let ino = 10;
    const dev = (kind: DevKind, rdev: number): VNode => ({
      type: "dev",
      ino: ino++,
      open: (req: OpenRequest) => new GuestDevHandle(req.path, kind, rdev),
      stat: () => devStat(rdev),
    });
    const link = (target: string): VNode => ({ type: "link", ino: ino++, target: () => target });
    const tty: VNode = {
      type: "dev",
      ino: ino++,
      open: (req) => {
        const h = pcall(req.path, () => k.pal.call("stream_open", "dev:tty", 3, 0));
        return new HostDevHandle(k.pal, h, req.path, "tty");
      },
      stat: () => devStat(0x500),
    };
    const children = new Map<string, VNode>([
      ["fd", link("/proc/self/fd")],
      ["null", dev("null", 0x103)],
      ["random", dev("random", 0x108)],
      ["stderr", link("/proc/self/fd/2")],
      ["stdin", link("/proc/self/fd/0")],
      ["stdout", link("/proc/self/fd/1")],
      ["tty", tty],
      ["urandom", dev("random", 0x109)],
      ["zero", dev("zero", 0x105)],
    ]);
    return { type: "dir", ino: 2, children: () => children };
  };
  return new VirtualFs("devtmpfs", DEV_NO, () => (root ??= build()), Errno.EACCES);
}
