/**
 * Host handlers of System V IPC.
 * Calls here: ipc_msgget, ipc_msgsnd, ipc_msgrcv, ipc_msgctl, ipc_semget, ipc_semop,
 * ipc_semctl, ipc_shmget, ipc_shmat, ipc_shmdt, ipc_shmctl, ipc_list.
 */
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import type { HostProc } from "./proc.ts";
import { type SemOp, SysV } from "./ipc_sysv.ts";

/**
 * The handlers over one sandbox's IPC namespace `ipc`; `onEnd` hooks process exit (SEM_UNDO).
 */
export function ipcHandlers(
  onEnd: ((p: HostProc) => void)[],
  ipc: SysV = new SysV(),
): HostHandlers<HostProc> {
  onEnd.push((p) => ipc.processEnded(p.pid));
  return {
    ipc_msgget: (_c, key, flags) => ipc.msgget(key, flags),
    ipc_msgsnd: (c, id, type, data, flags) =>
      ipc.msgsnd(id, type, data, flags, c.owner.tree.blocked),
    ipc_msgrcv: (c, id, type, flags, out) => ipc.msgrcv(id, type, flags, out, c.owner.tree.blocked),
    ipc_msgctl: (_c, id, cmd) => ipc.msgctl(id, cmd),
    ipc_semget: (_c, key, n, flags) => ipc.semget(key, n, flags),
    ipc_semop: (c, id, ops, timeoutMs) =>
      ipc.semop(c.owner.pid, id, ops as SemOp[], timeoutMs, c.owner.tree.blocked),
    ipc_semctl: (_c, id, num, cmd, arg) => ipc.semctl(id, num, cmd, arg),
    ipc_shmget: (_c, key, size, flags) => ipc.shmget(key, size, flags),
    ipc_shmat: (c, id) => {
      const sab = ipc.shmat(c.owner.pid, id);
      c.transfer(sab);
      return sab.byteLength;
    },
    ipc_shmdt: (c, id) => ipc.shmdt(c.owner.pid, id),
    ipc_shmctl: (_c, id, cmd) => ipc.shmctl(id, cmd),
    ipc_list: (_c, kind) => ipc.list(kind),
  };
}
