/**
 * Entry of a host process (`process` isolation): a `deno run` child started with
 * `--no-prompt`, permissions narrowed to the manifest and a V8 heap cap. Frames arrive on stdin
 * (first the configuration with the channel key, then commands) and events leave on stdout;
 * every frame after the configuration is authenticated (framing.ts: a guest can reach this
 * process's stdio).
 */
import { type HostConfig, needsNodeCrypto } from "./config.ts";
import { loadNodeCrypto } from "../../pal/host/lazy_node.ts";
import { encodeFrame, FrameAuth, FrameDecoder, KEY_BYTES } from "./framing.ts";
import { type HostEvent, parseCommand } from "./protocol.ts";
import { SandboxHost } from "./sandbox_host.ts";
import { watchMemory } from "./limits.ts";

const out = Deno.stdout.writable.getWriter();
let writing: Promise<void> = Promise.resolve();
let host: SandboxHost | null = null;
let outAuth: FrameAuth | null = null;

function emit(ev: HostEvent): void {
  if (!outAuth) return;
  const frame = encodeFrame(ev as unknown as Record<string, unknown>, outAuth);
  writing = writing.then(() => out.write(frame)).catch(() => Deno.exit(1));
  if (ev.type === "closed") writing.then(() => Deno.exit(0));
}

const decoder = new FrameDecoder();
for await (const chunk of Deno.stdin.readable) {
  let msgs: unknown[];
  try {
    // The configuration first, alone: it carries the key the frames after it are checked with.
    msgs = decoder.push(chunk, host ? Infinity : 1);
    if (!host && msgs.length === 1) {
      const key = (msgs[0] as { key?: unknown })?.key;
      const k = typeof key === "string" ? Uint8Array.from(atob(key), (c) => c.charCodeAt(0)) : null;
      if (!k || k.length !== KEY_BYTES) throw new Error("the configuration carries no channel key");
      decoder.authenticate(new FrameAuth(k, "to-host"));
      outAuth = new FrameAuth(k, "to-app");
      msgs.push(...decoder.push(new Uint8Array(0)));
    }
  } catch (e) {
    console.error(`sandpiper host: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
  for (const m of msgs) {
    if (!host) {
      const c = m as { type?: string; config?: HostConfig };
      if (c?.type !== "config" || !c.config) continue;
      // Trusted files hash with node:crypto, loaded only for hosts that have any (lazy_node.ts).
      if (needsNodeCrypto(c.config)) await loadNodeCrypto();
      const h = host = new SandboxHost(c.config, emit);
      // This process holds one sandbox: its whole resident set is the sandbox's.
      watchMemory({
        maxMemoryBytes: c.config.manifest.sys.maxMemoryBytes,
        liveProcesses: () => [...h.procs.values()].filter((p) => p.state !== "exited").length,
        limit: (limit, message) => h.limit(limit, message),
      });
      emit({ type: "ready" });
      continue;
    }
    const cmd = parseCommand(m);
    if (cmd) host.command(cmd);
  }
}
// The embedding app closed our stdin: it is gone, so the sandbox goes too.
if (host) await host.close();
await writing;
Deno.exit(0);
