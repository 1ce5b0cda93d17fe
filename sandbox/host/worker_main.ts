/**
 * Entry of the host Worker (`worker` isolation): receives the configuration, then validated
 * commands; posts events back. Output bytes are transferred, not copied.
 */
import type { HostConfig } from "./config.ts";
import { type HostEvent, parseCommand } from "./protocol.ts";
import { SandboxHost } from "./sandbox_host.ts";
import { workerScope } from "../../pal/worker_scope.ts";
import { RemoteWorkers } from "./worker_factory.ts";

let host: SandboxHost | null = null;
// Picoprocess Workers are created by the embedding thread (nested Workers start ~1 s late).
const remote = new RemoteWorkers((msg, transfer) => workerScope.postMessage(msg, transfer ?? []));

function emit(ev: HostEvent): void {
  if (ev.type === "output") workerScope.postMessage(ev, [ev.data.buffer as ArrayBuffer]);
  else workerScope.postMessage(ev);
}

workerScope.onmessage = (e: MessageEvent) => {
  if (remote.handle(e.data)) return;
  if (!host) {
    const m = e.data as { type?: string; config?: HostConfig };
    if (m?.type !== "config" || !m.config) return;
    host = new SandboxHost(m.config, emit, remote.factory);
    emit({ type: "ready" });
    return;
  }
  const cmd = parseCommand(e.data);
  if (cmd) host.command(cmd);
};
