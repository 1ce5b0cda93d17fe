/**
 * The state of one picoprocess's libOS: the PAL client, the fd table, the mount table, the
 * working directory and the umask. The `sys/` families operate on it; nothing else holds state.
 */
import type { PalClient } from "../pal/guest/client.ts";
import { FdTable } from "./fd_table.ts";
import type { InitMessage } from "./init.ts";
import { MountTable } from "./vfs/mount_table.ts";
import { absParts } from "./vfs/path.ts";
import { Interrupt } from "../pal/futex.ts";
import { Signals } from "./signal/signals.ts";
import { PipeHandle } from "./pipe_handle.ts";

/** One process's libOS state. */
export class Kernel {
  readonly fds: FdTable;
  readonly mounts = new MountTable();
  /** Absolute components of the working directory (resolved, symlink-free). */
  cwd: string[];
  umask: number;
  /** The environment now (Deno.env edits it); spawn, fork and exec pass it on by default. */
  readonly env: Map<string, string>;
  /** Monotonic ms at boot (for /proc/uptime). */
  readonly bootMs = performance.now();
  /** Dispositions, mask and delivery of signals (libos/signal). */
  readonly signals: Signals;

  constructor(readonly init: InitMessage, readonly pal: PalClient) {
    this.fds = new FdTable(init.limits.maxFds);
    this.cwd = absParts(init.cwd);
    this.umask = init.umask & 0o777;
    this.env = new Map(Object.entries(init.env));
    const token = init.interrupt ? Interrupt.attach(init.interrupt) : null;
    this.signals = new Signals(pal, init.pid, init.signals, token, init.sigTable);
    PipeHandle.interrupt = this.signals.interrupt ?? undefined;
    // Ignored signals survive spawn, fork and exec: the host copied or kept them on the page.
    const ignored = init.signals ? Atomics.load(new Int32Array(init.signals), 2) : 0;
    for (let sig = 1; sig < 32; sig++) {
      if (ignored & (1 << sig)) this.signals.set(sig, "ignore");
    }
  }

  /** Log a line to the host trace when discovery mode is on. */
  discover(line: string): void {
    if (this.init.discover) this.pal.call("debug_log", line);
  }
}
