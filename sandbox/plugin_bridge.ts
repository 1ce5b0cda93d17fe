/**
 * Host side of plugin picoprocesses (runs inside the sandbox host). `plugin-spawn` starts a
 * picoprocess with a plugin port. In `worker` isolation the port came from the embedding app,
 * which is the plugin channel's monitor (it checks every message; the host only checked that it
 * is a port and the page has the right size). In `process` isolation the host keeps the other
 * end and bridges it to the pipe: each message from the plugin must be a byte string of at most
 * `PLUGIN_MSG_MAX_BYTES` (a `node:v8` serialization the host never decodes); anything else is
 * reported as `data: null`, which the embedding app treats as a protocol violation.
 */
import type { PluginInit } from "../libos/init.ts";
import {
  type HostEvent,
  PLUGIN_MSG_MAX_BYTES,
  type PluginSpawnCommand,
  type SpawnSpec,
} from "./host/protocol.ts";

/** What the bridge needs from the sandbox host. */
export interface PluginHost {
  spawn(spec: SpawnSpec, ppid: number, plugin?: PluginInit): number;
  emit(ev: HostEvent): void;
}

/** The plugin ports a sandbox host bridges (process isolation), by pid. */
export class PluginBridges {
  readonly #ports = new Map<number, MessagePort>();

  constructor(readonly host: PluginHost) {}

  /** Handle `plugin-spawn`: answer `spawned` or `spawn-failed` like `spawn`. */
  spawn(cmd: PluginSpawnCommand): void {
    try {
      const pid = cmd.port ? this.#direct(cmd, cmd.port) : this.#bridged(cmd);
      this.host.emit({ type: "spawned", reqId: cmd.reqId, pid });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.host.emit({ type: "spawn-failed", reqId: cmd.reqId, message });
    }
  }

  /** Deliver a `plugin-msg` command to plugin `pid` (dropped when it has no bridge). */
  deliver(pid: number, data: Uint8Array): void {
    const port = this.#ports.get(pid);
    if (!port) return;
    const copy = data.slice();
    port.postMessage(copy, [copy.buffer]);
  }

  /** The process ended: close its bridge. */
  end(pid: number): void {
    this.#ports.get(pid)?.close();
    this.#ports.delete(pid);
  }

  #direct(cmd: PluginSpawnCommand, port: MessagePort): number {
    return this.host.spawn({}, 0, {
      port,
      page: cmd.page ?? null,
      expose: cmd.expose,
      wire: "clone",
    });
  }

  #bridged(cmd: PluginSpawnCommand): number {
    const ch = new MessageChannel();
    const pid = this.host.spawn({}, 0, {
      port: ch.port2,
      page: null,
      expose: cmd.expose,
      wire: "v8",
    });
    const emit = (data: Uint8Array | null) => this.host.emit({ type: "plugin-msg", pid, data });
    ch.port1.onmessage = (e) => {
      const d = e.data;
      emit(d instanceof Uint8Array && d.length <= PLUGIN_MSG_MAX_BYTES ? d.slice() : null);
    };
    ch.port1.onmessageerror = () => emit(null);
    this.#ports.set(pid, ch.port1);
    return pid;
  }
}
