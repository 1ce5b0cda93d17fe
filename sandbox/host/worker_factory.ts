/**
 * Who creates picoprocess (and thread) Workers.
 *
 * Measured in Deno 2.9.6: a Worker created *inside another Worker* takes ~0.5 s to evaluate its
 * module and ~1 s before it receives its first message, every time; one created by the main
 * thread starts in ~10–20 ms. In `process` isolation the sandbox host is the main thread of its
 * own process and creates Workers itself (`localWorkers`). In `worker` isolation the host is a
 * Worker, so it asks the embedding thread to create them (`RemoteWorkers` on the host side,
 * `WorkerBroker` on the embedding side) and talks to them through that thread.
 *
 * Safety: a Worker loads its module graph with its creator's permissions, so the broker only
 * creates Workers whose module is one of Sandpiper's own entry modules (boot, thread boot), and
 * only with the sandbox's guest permissions. The app itself is imported by the boot module with
 * a computed specifier, which Deno checks against the Worker's own (narrowed) permissions.
 *
 * Broker messages (host Worker ⇄ embedding thread), each `{type, id, …}`:
 *   wf-create {id, url, name}        → create a Worker (permissions come from the broker's config)
 *   wf-post {id, msg} + transfer     → post to it
 *   wf-terminate {id}                → end it
 *   wf-error {id, message}           ← it threw an uncaught error
 *   wf-message {id, data}            ← it posted something (untrusted: the host validates)
 *
 * A picoprocess Worker's parent is the embedding thread, so anything a guest posts to its parent
 * arrives there. The broker forwards only the three messages a Sandpiper Worker sends its parent
 * (`guestParentMessage`): a thread's hello (one MessagePort), a thread's exit mark and a
 * picoprocess Worker's boot mark (`BOOTED`, proc_pool.ts). Everything
 * else — huge buffers, SharedArrayBuffers, extra ports, forged `wf-*` commands — is dropped (its
 * ports closed) and never reaches the host Worker. Guest messages are never read as broker
 * commands: those come only from the host Worker.
 */
import { THREAD_EXITED } from "../../pal/guest/local_threads.ts";
import { BOOTED } from "../../libos/init.ts";

/** The part of a Worker the sandbox host uses. */
export interface WorkerLike {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  terminate(): void;
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null;
  onmessage: ((e: { data: unknown }) => void) | null;
  onmessageerror: ((e: { preventDefault(): void }) => void) | null;
}

/** Creates a Worker running `url` with the sandbox's guest permissions. */
export type WorkerFactory = (url: string, name: string) => WorkerLike;

/** Workers created by this thread. */
export function localWorkers(permissions: Deno.PermissionOptionsObject): WorkerFactory {
  return (url, name) =>
    new Worker(url, { type: "module", name, deno: { permissions } }) as unknown as WorkerLike;
}

/**
 * The only messages a picoprocess or thread Worker has reason to post to its parent: a thread's
 * `{type: "thread-hello", port}`, the `THREAD_EXITED` mark and the `BOOTED` mark. Returns a fresh copy to forward
 * (and the port to transfer), or null to drop `data`.
 */
export function guestParentMessage(
  data: unknown,
): { data: unknown; port?: MessagePort } | null {
  if (data === THREAD_EXITED || data === BOOTED) return { data };
  if (typeof data !== "object" || data === null) return null;
  const m = data as { type?: unknown; port?: unknown };
  if (m.type !== "thread-hello" || !(m.port instanceof MessagePort)) return null;
  return { data: { type: "thread-hello", port: m.port }, port: m.port };
}

type BrokerReply =
  | { type: "wf-error"; id: number; message: string }
  | { type: "wf-message"; id: number; data: unknown };

/** Host-Worker side: Workers created by the embedding thread on our behalf. */
export class RemoteWorkers {
  readonly #workers = new Map<number, WorkerLike>();
  #next = 1;

  constructor(readonly post: (msg: unknown, transfer?: Transferable[]) => void) {}

  /** The factory to give the sandbox host. */
  readonly factory: WorkerFactory = (url, name) => {
    const id = this.#next++;
    const post = this.post;
    const workers = this.#workers;
    const w: WorkerLike = {
      postMessage(msg, transfer = []) {
        post({ type: "wf-post", id, msg }, transfer);
      },
      terminate() {
        if (workers.delete(id)) post({ type: "wf-terminate", id });
      },
      onerror: null,
      onmessage: null,
      onmessageerror: null,
    };
    this.#workers.set(id, w);
    this.post({ type: "wf-create", id, url, name });
    return w;
  };

  /** Handle a broker reply; false if `msg` is not one. */
  handle(msg: unknown): boolean {
    const m = msg as BrokerReply;
    if (m?.type !== "wf-error" && m?.type !== "wf-message") return false;
    const w = this.#workers.get(m.id);
    if (!w) return true;
    if (m.type === "wf-error") w.onerror?.({ message: String(m.message), preventDefault() {} });
    else w.onmessage?.({ data: m.data });
    return true;
  }
}

/** Embedding-thread side: creates and drives Workers for one host Worker. */
export class WorkerBroker {
  readonly #workers = new Map<number, Worker>();
  /** Guest messages dropped (not a hello or an exit mark). */
  dropped = 0;

  constructor(
    readonly allowedUrls: ReadonlySet<string>,
    readonly permissions: Deno.PermissionOptionsObject,
    readonly reply: (msg: BrokerReply, transfer?: Transferable[]) => void,
  ) {}

  /** Handle a message from the host Worker; false if it is not a broker message. */
  handle(msg: unknown, ports: readonly MessagePort[] = []): boolean {
    const m = msg as { type?: unknown; id?: unknown; url?: unknown; name?: unknown; msg?: unknown };
    if (typeof m?.type !== "string" || !m.type.startsWith("wf-")) return false;
    if (!Number.isSafeInteger(m.id)) return true;
    const id = m.id as number;
    switch (m.type) {
      case "wf-create": {
        if (typeof m.url !== "string" || !this.allowedUrls.has(m.url) || this.#workers.has(id)) {
          this.reply({ type: "wf-error", id, message: "refused: not a Sandpiper entry module" });
          return true;
        }
        const w = new Worker(m.url, {
          type: "module",
          name: typeof m.name === "string" ? m.name.slice(0, 200) : "sandpiper",
          deno: { permissions: this.permissions },
        });
        w.onerror = (e) => {
          e.preventDefault();
          this.reply({ type: "wf-error", id, message: String(e.message ?? "error") });
        };
        w.onmessageerror = (e) => e.preventDefault();
        w.onmessage = (e) => {
          const fwd = guestParentMessage(e.data);
          for (const p of e.ports) if (p !== fwd?.port) p.close();
          if (!fwd) {
            this.dropped++;
            return;
          }
          this.reply({ type: "wf-message", id, data: fwd.data }, fwd.port ? [fwd.port] : []);
        };
        this.#workers.set(id, w);
        return true;
      }
      case "wf-post":
        this.#workers.get(id)?.postMessage(m.msg, [...ports]);
        return true;
      case "wf-terminate":
        this.#workers.get(id)?.terminate();
        this.#workers.delete(id);
        return true;
    }
    return true;
  }

  /** Terminate every Worker (the sandbox ended). */
  terminateAll(): void {
    for (const w of this.#workers.values()) w.terminate();
    this.#workers.clear();
  }
}
