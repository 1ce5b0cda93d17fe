/**
 * Host handlers of System V IPC.
 * Calls here: ipc_msgget, ipc_msgctl, ipc_semget, ipc_semctl, ipc_shmget, ipc_shmat, ipc_shmdt,
 * ipc_shmctl, ipc_list, ipc_map. msgsnd, msgrcv and semop run in the guest on the buffers
 * ipc_map hands over (libos/ipc/sysv_msg.ts, sysv_sem.ts).
 */
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import type { HostProc } from "./proc.ts";
import { SysV } from "./ipc_sysv.ts";

/**
 * The handlers over one sandbox's IPC namespace `ipc`; `onEnd` hooks process exit (locks left
 * held, SEM_UNDO).
 */
export function ipcHandlers(
  onEnd: ((p: HostProc) => void | Promise<void>)[],
  ipc: SysV = new SysV(),
): HostHandlers<HostProc> {
  onEnd.push((p) => ipc.processEnded(p.pid));
  return {
    ipc_msgget: (_c, key, flags) => ipc.msgget(key, flags),
    ipc_msgctl: (_c, id, cmd) => ipc.msgctl(id, cmd),
    ipc_semget: (_c, key, n, flags) => ipc.semget(key, n, flags),
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
    ipc_map: (c, kind, id, op) => {
      if (op === 1) {
        ipc.recover(kind, id);
        return 0;
      }
      const m = ipc.map(c.owner.pid, kind, id);
      c.transfer({ sab: m.sab, life: m.life });
      return m.n;
    },
  };
}
