/**
 * Entry of the host Worker (`worker` isolation): receives the configuration, then validated
 * commands; posts events back. Output bytes are transferred, not copied.
 */
import type { HostConfig } from "./config.ts";
import { type HostEvent, parseCommand } from "./protocol.ts";
import { SandboxHost } from "./sandbox_host.ts";
import { workerScope } from "../../pal/worker_scope.ts";
import { RemoteWorkers } from "./worker_factory.ts";
import { needsNodeCrypto } from "./config.ts";
import { loadNodeCrypto } from "../../pal/host/lazy_node.ts";

let host: SandboxHost | null = null;
// Picoprocess Workers are created by the embedding thread (nested Workers start ~1 s late).
const remote = new RemoteWorkers((msg, transfer) => workerScope.postMessage(msg, transfer ?? []));

function emit(ev: HostEvent): void {
  if (ev.type === "output") workerScope.postMessage(ev, [ev.data.buffer as ArrayBuffer]);
  else workerScope.postMessage(ev);
}

/** Commands that came while the host was starting (loading node:crypto for trusted files). */
let queued: unknown[] | null = null;

function command(data: unknown): void {
  const cmd = parseCommand(data);
  if (cmd) host!.command(cmd);
}

workerScope.onmessage = (e: MessageEvent) => {
  if (remote.handle(e.data)) return;
  if (queued) {
    queued.push(e.data);
    return;
  }
  if (!host) {
    const m = e.data as { type?: string; config?: HostConfig };
    if (m?.type !== "config" || !m.config) return;
    const config = m.config;
    const start = () => {
      host = new SandboxHost(config, emit, remote.factory);
      emit({ type: "ready" });
    };
    if (!needsNodeCrypto(config)) return start();
    queued = [];
    void loadNodeCrypto().then(() => {
      start();
      const later = queued!;
      queued = null;
      for (const d of later) command(d);
    });
    return;
  }
  command(e.data);
};
