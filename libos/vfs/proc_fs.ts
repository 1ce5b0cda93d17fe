/**
 * /proc, generated in the guest from the libOS's own state: self/{status, cmdline, fd/, cwd,
 * exe, root}, <pid> (a link to self), mounts, meminfo, uptime. Content is produced at open.
 */
import { Errno } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import type { Stat } from "../sys/types.ts";
import { joinAbs } from "./path.ts";
import { VirtualFs, type VNode } from "./virtual_fs.ts";
import { pidDirs, selfStat, sysvipcDir } from "../proc/proc_entries.ts";

const PROC_DEV = 4;
const enc = new TextEncoder();

function file(ino: number, gen: () => string): VNode {
  return { type: "file", ino, content: () => enc.encode(gen()) };
}

function fdDir(k: Kernel): VNode {
  return {
    type: "dir",
    ino: 20,
    children: () =>
      new Map(
        k.fds.fds().map((fd): [string, VNode] => {
          const of = k.fds.get(fd);
          return [String(fd), {
            type: "magic",
            ino: 1000 + fd,
            target: () => of.handle.path,
            open: () => of.handle.retain(),
            stat: (): Stat => of.handle.stat(),
          }];
        }),
      ),
  };
}

function status(k: Kernel): string {
  const name = k.init.exePath.split("/").at(-1) ?? "app";
  return [
    `Name:\t${name.slice(0, 15)}`,
    `Umask:\t${k.umask.toString(8).padStart(4, "0")}`,
    "State:\tR (running)",
    `Tgid:\t${k.init.pid}`,
    `Pid:\t${k.init.pid}`,
    `PPid:\t${k.init.ppid}`,
    `FDSize:\t${k.fds.maxFds}`,
    `Threads:\t1`,
    "",
  ].join("\n");
}

function meminfo(k: Kernel): string {
  let total = 0;
  let used = 0;
  try {
    const q = k.pal.call("memory_quota") as { limitBytes?: number; usedBytes?: number } | null;
    total = q?.limitBytes ?? 0;
    used = q?.usedBytes ?? 0;
  } catch (_e) {
    // A host without a quota service: report what the guest can see.
  }
  const kb = (n: number) => `${Math.floor(n / 1024)} kB`.padStart(12);
  return `MemTotal:${kb(total)}\nMemFree:${kb(Math.max(0, total - used))}\n` +
    `MemAvailable:${kb(Math.max(0, total - used))}\n`;
}

/** The /proc file system of a process. */
export function procFs(k: Kernel): VirtualFs {
  // Built at the first lookup: most processes never look into /proc (a spawn's boot does not
  // pay for the tree; measured ~10 KB and tens of µs per process).
  let root: VNode | null = null;
  const build = (): VNode => {
    const selfChildren = new Map<string, VNode>([
      ["cmdline", file(11, () => k.init.argv.map((a) => a + "\0").join(""))],
      ["cwd", { type: "link", ino: 12, target: () => joinAbs(k.cwd) }],
      ["exe", { type: "link", ino: 13, target: () => k.init.exePath }],
      ["fd", fdDir(k)],
      ["root", { type: "link", ino: 14, target: () => "/" }],
      ["status", file(15, () => status(k))],
      ["stat", selfStat(k)],
    ]);
    const self: VNode = { type: "dir", ino: 10, children: () => selfChildren };
    const top = new Map<string, VNode>([
      [String(k.init.pid), { type: "link", ino: 3, target: () => "self" }],
      ["meminfo", file(4, () => meminfo(k))],
      [
        "mounts",
        file(
          5,
          () =>
            k.mounts.list().map((m) => `${m.fs.type} ${m.path} ${m.fs.type} ${m.options} 0 0\n`)
              .join(""),
        ),
      ],
      ["self", self],
      ["sysvipc", sysvipcDir(k)],
      [
        "uptime",
        file(6, () => {
          const s = (performance.now() - k.bootMs) / 1000;
          return `${s.toFixed(2)} ${s.toFixed(2)}\n`;
        }),
      ],
    ]);
    // Other processes of the sandbox come from the host's table at each lookup.
    return { type: "dir", ino: 1, children: () => new Map([...pidDirs(k), ...top]) };
  };
  return new VirtualFs("proc", PROC_DEV, () => (root ??= build()), Errno.EACCES);
}
