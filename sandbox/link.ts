/**
 * How the embedding app reaches a sandbox host: a host Worker in this process (`worker`
 * isolation) or a `deno run` child over a framed pipe (`process` isolation). Both carry the
 * same commands and events (sandbox/host/protocol.ts).
 */
import { type HostConfig, sandpiperSourceDir } from "./host/config.ts";
import { encodeFrame, FrameAuth, FrameDecoder, newChannelKey } from "./host/framing.ts";
import type { HostCommand, HostEvent } from "./host/protocol.ts";
import { processFlags, workerPermissions } from "./permissions.ts";
import { SandboxError } from "./errors_runtime.ts";
import { WorkerBroker } from "./host/worker_factory.ts";

/** The thread boot module (pal/guest/thread_boot.ts): the other entry a broker may start. */
const THREAD_BOOT_URL = new URL("../pal/guest/thread_boot.ts", import.meta.url).href;

/** A channel to a sandbox host. */
export interface HostLink {
  /** Send a command; `transfer` (worker isolation only) lists ports to move with it. */
  send(cmd: HostCommand, transfer?: Transferable[]): void;
  /** Ends the host by force (terminate / SIGKILL). */
  kill(): void;
  /** Resolves when the host is gone. */
  readonly gone: Promise<void>;
}

/** Start a host Worker. */
export function startWorkerHost(cfg: HostConfig, onEvent: (ev: HostEvent) => void): HostLink {
  const src = sandpiperSourceDir();
  const perms = workerPermissions(cfg.manifest, "host", { extraRead: src ? [src] : [] });
  const w = new Worker(new URL("./host/worker_main.ts", import.meta.url), {
    type: "module",
    name: `sandpiper host ${cfg.sandboxId}`,
    deno: { permissions: perms },
  });
  let resolveGone!: () => void;
  const gone = new Promise<void>((r) => (resolveGone = r));
  let dead = false;
  const die = () => {
    if (dead) return;
    dead = true;
    broker.terminateAll();
    w.terminate();
    resolveGone();
  };
  const broker = new WorkerBroker(
    new Set([cfg.bootUrl, THREAD_BOOT_URL]),
    cfg.guestPermissions,
    (m, transfer) => {
      try {
        w.postMessage(m, transfer ?? []);
      } catch (_e) {
        // A guest posted something that cannot be forwarded (e.g. an untransferred port): drop it.
      }
    },
  );
  w.onmessage = (e) => {
    if (broker.handle(e.data, e.ports)) return;
    const ev = e.data as HostEvent;
    onEvent(ev);
    if (ev.type === "closed") die();
  };
  w.onerror = (e) => {
    e.preventDefault();
    onEvent({ type: "trace", line: `sandbox host failed: ${e.message}` });
    onEvent({ type: "closed" });
    die();
  };
  w.postMessage({ type: "config", config: cfg });
  return {
    send: (cmd, transfer) => {
      if (!dead) w.postMessage(cmd, transfer ?? []);
    },
    kill: () => {
      if (!dead) onEvent({ type: "closed" });
      die();
    },
    gone,
  };
}

function startFailed(e: unknown): SandboxError {
  return new SandboxError(
    `process isolation could not start a host process (${e instanceof Error ? e.message : e}); ` +
      'grant --allow-run for the deno executable, or use isolation: "worker"',
  );
}

/** Start a host process. */
export function startProcessHost(cfg: HostConfig, onEvent: (ev: HostEvent) => void): HostLink {
  const src = sandpiperSourceDir();
  if (!src) throw new Error("process isolation needs Sandpiper's modules on the local disk");
  // Measured: with a new DENO_DIR, a host process started without this looked up dl.deno.land
  // (Deno's check for a newer release). A sandbox host makes no network traffic of its own.
  const env: Record<string, string> = { DENO_NO_UPDATE_CHECK: "1" };
  for (const k of ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "PATH", "NO_COLOR", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  let command: Deno.Command;
  try {
    command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...processFlags(cfg.manifest, [src]),
        new URL("./host/process_main.ts", import.meta.url).pathname,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env,
    });
  } catch (e) {
    throw startFailed(e);
  }
  let child: Deno.ChildProcess;
  try {
    child = command.spawn();
  } catch (e) {
    throw startFailed(e);
  }
  const writer = child.stdin.getWriter();
  // Frames after the configuration are authenticated (framing.ts): a guest can reach the host
  // process's stdio, never this key.
  const key = newChannelKey();
  const toHost = new FrameAuth(key, "to-host");
  const toApp = new FrameAuth(key, "to-app");
  let closedSeen = false;
  let pipeBroken = false;
  // After a limit the host ends itself; if it cannot (a thread that never yields), SIGKILL.
  let limitKill: ReturnType<typeof setTimeout> | undefined;
  const emit = (ev: HostEvent) => {
    if (ev.type === "closed") {
      if (closedSeen) return;
      closedSeen = true;
    }
    if (ev.type === "limit" && limitKill === undefined) {
      limitKill = setTimeout(() => killChild(child), LIMIT_KILL_MS);
    }
    onEvent(ev);
  };
  const pump = (async () => {
    const dec = new FrameDecoder(toApp);
    try {
      for await (const chunk of child.stdout) {
        for (const m of dec.push(chunk)) emit(m as HostEvent);
      }
    } catch (e) {
      // Bytes the host did not write (a guest's), or a broken host: the sandbox ends.
      pipeBroken = true;
      emit({
        type: "trace",
        line: `sandbox host pipe failed: ${e instanceof Error ? e.message : e}`,
      });
      killChild(child);
    }
  })();
  const errPump = (async () => {
    let text = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.length > 65536) text = text.slice(-65536);
    }
    return text;
  })();
  const gone = (async () => {
    const status = await child.status;
    clearTimeout(limitKill);
    await pump;
    const errText = await errPump;
    if (!closedSeen) {
      if (pipeBroken) {
        // Reported above (a trace): this host was ended for it, not for memory.
      } else if (status.signal === "SIGKILL" || /out of memory|heap limit/i.test(errText)) {
        emit({
          type: "limit",
          limit: "max_memory",
          message: `the sandbox host died (${status.signal ?? `exit ${status.code}`}): ` +
            `sys.max_memory (${cfg.manifest.sys.maxMemoryBytes} bytes) or a fatal error`,
        });
      } else if (errText.trim()) {
        emit({ type: "trace", line: `sandbox host: ${errText.trim().slice(-2000)}` });
      }
      emit({ type: "closed" });
    }
  })();
  const keyText = btoa(String.fromCharCode(...key));
  writer.write(encodeFrame({ type: "config", config: cfg, key: keyText })).catch(() => {});
  return {
    send: (cmd) => {
      writer.write(encodeFrame(cmd as unknown as Record<string, unknown>, toHost)).catch(() => {});
    },
    kill: () => killChild(child),
    gone,
  };
}

/** How long a host process has to exit by itself after reporting a limit. */
const LIMIT_KILL_MS = 1000;

function killChild(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch (_e) {
    // already exited
  }
}
