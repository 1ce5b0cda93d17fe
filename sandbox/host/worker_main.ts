/**
 * Entry of the host Worker (`worker` isolation): receives the configuration, then validated
 * commands; posts events back. Output bytes are transferred, not copied.
 */
import type { HostConfig } from "./config.ts";
import { type HostEvent, parseCommand } from "./protocol.ts";
import { SandboxHost } from "./sandbox_host.ts";
import { workerScope } from "../../pal/worker_scope.ts";

let host: SandboxHost | null = null;

function emit(ev: HostEvent): void {
  if (ev.type === "output") workerScope.postMessage(ev, [ev.data.buffer as ArrayBuffer]);
  else workerScope.postMessage(ev);
}

workerScope.onmessage = (e: MessageEvent) => {
  if (!host) {
    const m = e.data as { type?: string; config?: HostConfig };
    if (m?.type !== "config" || !m.config) return;
    host = new SandboxHost(m.config, emit);
    emit({ type: "ready" });
    return;
  }
  const cmd = parseCommand(e.data);
  if (cmd) host.command(cmd);
};
