/**
 * /proc entries for the whole sandbox, from the host's process table: /proc/<pid>/{stat,
 * cmdline, status} for every other process, /proc/self/stat, and /proc/sysvipc/{msg,sem,shm}.
 */
import type { Kernel } from "../kernel.ts";
import type { VNode } from "../vfs/virtual_fs.ts";
import { type ProcEntry, processInfo } from "./process.ts";

const enc = new TextEncoder();

function file(ino: number, gen: () => string): VNode {
  return { type: "file", ino, content: () => enc.encode(gen()) };
}

function entry(k: Kernel, pid: number): ProcEntry | undefined {
  return processInfo(k).processes.find((p) => p.pid === pid);
}

/** `/proc/<pid>/stat` (the first fields Linux has: pid, comm, state, ppid, pgrp, session). */
function statLine(p: ProcEntry | undefined, pid: number): string {
  if (!p) return "";
  const comm = (p.exe.split("/").at(-1) ?? "?").replace(/[\s()]/g, "_").slice(0, 15);
  return `${pid} (${comm}) ${p.state} ${p.ppid} ${p.pgid} ${p.sid}\n`;
}

/** /proc/self/stat. */
export function selfStat(k: Kernel): VNode {
  return file(16, () => statLine(entry(k, k.init.pid), k.init.pid));
}

/** Directories of the other processes of the sandbox. */
export function pidDirs(k: Kernel): [string, VNode][] {
  let list: ProcEntry[];
  try {
    list = processInfo(k).processes;
  } catch (_e) {
    return []; // a host without a process table: only self is shown
  }
  return list.filter((p) => p.pid !== k.init.pid).map((p): [string, VNode] => {
    const base = 100000 + p.pid * 16;
    const children = new Map<string, VNode>([
      [
        "cmdline",
        file(base + 1, () => (entry(k, p.pid)?.argv ?? []).map((a) => a + "\0").join("")),
      ],
      ["stat", file(base + 2, () => statLine(entry(k, p.pid), p.pid))],
      [
        "status",
        file(base + 3, () => {
          const e = entry(k, p.pid);
          return e
            ? `Name:\t${
              e.exe.split("/").at(-1)
            }\nState:\t${e.state}\nPid:\t${e.pid}\nPPid:\t${e.ppid}\n`
            : "";
        }),
      ],
    ]);
    return [String(p.pid), { type: "dir", ino: base, children: () => children }];
  });
}

/** /proc/sysvipc: msg, sem and shm listings in the columns of Linux's. */
export function sysvipcDir(k: Kernel): VNode {
  const list = (kind: number, head: string, row: (o: Record<string, number>) => string) =>
    file(40 + kind, () => {
      const objs = k.pal.call("ipc_list", kind) as Record<string, number>[];
      return head + "\n" + objs.map((o) => row(o) + "\n").join("");
    });
  const children = new Map<string, VNode>([
    [
      "msg",
      list(
        0,
        "       key      msqid perms      cbytes       qnum",
        (o) =>
          `${String(o.key).padStart(10)} ${String(o.id).padStart(10)} ${
            o.mode!.toString(8).padStart(5)
          } ${String(o.bytes).padStart(11)} ${String(o.count).padStart(10)}`,
      ),
    ],
    [
      "sem",
      list(
        1,
        "       key      semid perms      nsems",
        (o) =>
          `${String(o.key).padStart(10)} ${String(o.id).padStart(10)} ${
            o.mode!.toString(8).padStart(5)
          } ${String(o.count).padStart(10)}`,
      ),
    ],
    [
      "shm",
      list(
        2,
        "       key      shmid perms                  size  nattch",
        (o) =>
          `${String(o.key).padStart(10)} ${String(o.id).padStart(10)} ${
            o.mode!.toString(8).padStart(5)
          } ${String(o.bytes).padStart(21)} ${String(o.count).padStart(7)}`,
      ),
    ],
  ]);
  return { type: "dir", ino: 39, children: () => children };
}
