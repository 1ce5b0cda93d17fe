/**
 * The init message the host posts to a picoprocess's Worker (the layout is libos/init.ts's): the
 * process's ids, program, arguments, environment and cwd, the sandbox's mounts (ids and guest
 * paths, never a host path) and limits, its heartbeat period under a watchdog, its stdio and extra
 * fds, its signal page and EINTR token, and what the host opened for it ahead (`bootGifts`: its
 * stdio devices, its signal table slot), so a boot makes no host call before the program runs.
 */
import type { GuestChannel } from "../../pal/guest/client.ts";
import type { InitMessage, PluginInit, StdioSpec } from "../../libos/init.ts";
import type { HostConfig } from "./config.ts";
import type { HostProc } from "./proc.ts";
import type { ChildOptions } from "./proc_handlers.ts";
import { bootGifts } from "./proc_table.ts";
import { heartbeatPeriod } from "./watchdog.ts";

/**
 * The init message of `proc`.
 * @param channel its call page and sync port, or null when its Worker has them already (a pooled
 *   Worker got them with WARM_UP, a recycled one kept its own)
 * @param child how its parent started it (none: a process the embedding app started, on the
 *   host's stdio)
 */
export function initMessage(
  cfg: HostConfig,
  proc: HostProc,
  spec: { argv: readonly string[]; env: Readonly<Record<string, string>>; cwd: string },
  channel: GuestChannel | null,
  child?: ChildOptions,
  plugin?: PluginInit,
): InitMessage {
  const m = cfg.manifest;
  const stdio: StdioSpec[] = child ? [...child.stdio] : [
    { kind: "host", uri: "dev:stdin" },
    { kind: "host", uri: "dev:stdout" },
    { kind: "host", uri: "dev:stderr" },
  ];
  return {
    type: "init",
    pid: proc.pid,
    ppid: proc.ppid,
    sandboxId: cfg.sandboxId,
    ...(channel ? { channel } : {}),
    entry: proc.tree.entry,
    exePath: proc.tree.exePath,
    argv: spec.argv,
    env: spec.env,
    cwd: spec.cwd,
    umask: child?.umask ?? 0o022,
    mounts: cfg.mounts.map((mt) => ({
      id: mt.id,
      path: mt.path,
      type: mt.type,
      readonly: mt.readonly,
      ...(mt.code ? { code: true } : {}),
    })),
    stdio: stdio as [StdioSpec, StdioSpec, StdioSpec],
    limits: { maxFds: m.sys.maxFds, pipeBufferBytes: m.sys.pipeBufferBytes },
    ...(m.sys.watchdogMs !== null ? { heartbeatMs: heartbeatPeriod(m.sys.watchdogMs) } : {}),
    discover: m.fs.discover,
    trace: cfg.trace,
    startTimeMs: Date.now(),
    pgid: proc.tree.pgid,
    sid: proc.tree.sid,
    signals: proc.tree.signals.buffer as SharedArrayBuffer,
    interrupt: proc.tree.interrupt.sab,
    ...(child && child.fds.length > 0 ? { fds: child.fds } : {}),
    ...(child?.fork ? { fork: child.fork } : {}),
    ...(plugin ? { plugin } : {}),
    ...bootGifts(proc, child ? [...stdio, ...child.fds.map((f) => f.spec)] : stdio),
  };
}
