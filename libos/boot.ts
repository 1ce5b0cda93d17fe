/**
 * The picoprocess entry: the first module of every picoprocess Worker. It waits for the host's
 * init message (libos/init.ts), connects the PAL client, boots the libOS and runs the app under
 * the personality it was written for. Only literal imports here: they load with the host's
 * permissions as part of this module's graph; the app itself is imported with the Worker's own.
 *
 * A pooled Worker (sandbox/host/proc_pool.ts) first gets `WARM_UP`: boot then does the work that
 * does not depend on the process — it builds the call page client of its future process (when
 * `WARM_UP` carries the channel), makes two macrotask turns (the first message a Worker receives
 * is slow; a process whose program returns ends after two) and imports every built-in program's
 * module
 * (libos/bin/mod.ts `warmBuiltins`: they only define functions, so no program runs; a
 * built-in's spawn then finds its module loaded and compiled, and another program's import is
 * no longer the Worker's first, slow one), so the code every process runs first is ready before
 * a process needs it. The built-ins' imports are literal, so Deno loaded them with boot's graph;
 * the first *computed* `import()` of a Worker costs ~1 ms more than the next (measured in a fork
 * child: its program's import took ~2.0 ms, ~1.2–1.5 ms after one), so boot makes one, of an
 * empty `data:` module, and runs the fork state's deserializer once (proc/fork.ts
 * `warmForkState`). Then it installs the Deno personality ahead of the process (install.ts
 * `prepareDeno`: every member but those that name the process, which the init binds; ~0.6–1 ms
 * of a warm spawn measured on a 2-core VM), runs whole rehearsal processes of `true` over a
 * local PAL (warm_up.ts `rehearseProcess`: a real process's path is compiled too), each followed
 * by one real host call (`host_time`, on the call page the host serves for `WARM_CALLS` alone
 * until a process adopts it: pal/host/server.ts `attachWarming`), and answers `BOOTED`.
 * `WARM_UP` may also carry the call page and sync port of the Worker's future process
 * (`WarmUpMessage`): the Worker builds its PAL client while warming and its init message then
 * carries no channel. An init message that arrives while the Worker warms stops the warming
 * (the process needs the thread; one that arrives during a rehearsal waits for it to end). A cold
 * Worker gets the init message at once and skips the rehearsal. The init message carries
 * everything the boot needs (a spawned child's stdio handles and signal table slot too): a warm
 * boot makes no host call before the program runs.
 *
 * A Worker whose process ran only a built-in may be recycled (libos/libos.ts `Libos.idle`):
 * it keeps its call page, PAL client and prepared personality, and waits here for the next init
 * message, which carries no channel. A cold Worker, or one taken while warming, prepares the
 * personality at its init in the same re-bindable way, so it can be recycled too.
 */
import { type GuestChannel, PalClient } from "../pal/guest/client.ts";
import { BOOTED, type InitMessage, WARM_UP, type WarmUpMessage } from "./init.ts";
import { Libos } from "./libos.ts";
import { workerScope } from "../pal/worker_scope.ts";
import { rehearseProcess } from "./warm_up.ts";
import { macrotaskTurn } from "../pal/turn.ts";
import { warmBuiltins } from "./bin/mod.ts";
import { type PreparedDeno, prepareDeno } from "./personality/deno/install.ts";
import { sealWorker } from "../pal/guest/seal.ts";
import { warmForkState } from "./proc/fork.ts";

// Before anything else: no guest code may reach the process's stdio or BroadcastChannel (seal.ts).
sealWorker();

/** A module with nothing in it, imported by a computed specifier while the Worker warms up. */
const WARM_MODULE = "data:text/javascript,export{}";
/** Rehearsal processes a pooled Worker runs before it says it is booted (warm_up.ts). */
const PROCESS_REHEARSALS = 20;
/** The rehearsal process running now (warm_up.ts `rehearseProcess`), if any. */
let rehearsal: Promise<void> | undefined;
/** Set once the init message arrived: a Worker taken from the pool while booting skips warming. */
let started = false;
/** The Deno personality the warm-up installed ahead of the process (install.ts). */
let prepared: PreparedDeno | undefined;
/** Deno's own file read, before any personality replaces it (a .wasm entry is read with it). */
const readHostFile = Deno.readFileSync.bind(Deno);
/** The channel of this Worker's future process, when the pool sent it with `WARM_UP`. */
let channel: GuestChannel | undefined;
/** Its PAL client, built while warming. */
let warmPal: PalClient | undefined;

/** The channel in a `WARM_UP` message (from the host: checked all the same), else undefined. */
function warmChannel(m: Partial<WarmUpMessage>): GuestChannel | undefined {
  const c = m.channel;
  const ok = c?.page instanceof SharedArrayBuffer && c.doorbell instanceof SharedArrayBuffer &&
    c.syncPort instanceof MessagePort;
  return ok ? c : undefined;
}

/** One computed `import()` (see the module doc); a refusal only means less was warmed. */
async function warmDynamicImport(): Promise<void> {
  try {
    await import(WARM_MODULE);
  } catch (_e) {
    // Not allowed here: the process's own first import pays it.
  }
}

/** The Worker's message handler until a process takes it (again, once the host recycled it). */
async function onMessage(e: MessageEvent): Promise<void> {
  if (e.data === WARM_UP || e.data?.type === WARM_UP) {
    if (typeof e.data === "object") channel = warmChannel(e.data);
    // After the messages already queued: an init among them makes the warm-up moot.
    setTimeout(async () => {
      if (started) return;
      if (channel) warmPal = new PalClient(channel);
      // Two macrotask turns, as a process's end makes (libos/liveness.ts).
      for (let i = 0; i < 2; i++) await new Promise<void>((r) => macrotaskTurn(r));
      // Imports only (no program runs); stops once a process took this Worker.
      await warmBuiltins(() => started);
      await warmDynamicImport();
      if (started) return;
      warmForkState();
      prepared = prepareDeno();
      // Whole processes of `true`, one per macrotask (an init message between two stops them):
      // the path of a real process is then compiled too (measured on a 2-core VM: a spawn of
      // `true` from a full pool with sys.recycle = false, median ~3.1 → ~2.1 ms). A rehearsal
      // that fails leaves the Worker unusable: the error ends it, and the pool drops it.
      // After each, a real call to the host (WARM_CALLS): the rehearsals' PAL answers in the
      // Worker, so the client's call path would otherwise run first in the process (measured:
      // the first synchronous call of a Worker took ~0.5–1.5 ms, the next ~0.2 ms).
      const pal = warmPal;
      for (let i = 0; i < PROCESS_REHEARSALS && !started; i++) {
        rehearsal = rehearseProcess(prepared);
        await rehearsal;
        rehearsal = undefined;
        try {
          if (pal && !started) pal.call("host_time");
        } catch (_e) {
          // Not served (the host took the page back): the process's own calls warm it.
        }
        await new Promise<void>((r) => macrotaskTurn(r));
      }
      if (started) return;
      workerScope.postMessage(BOOTED);
    }, 0);
    return;
  }
  const msg = e.data as InitMessage;
  if (msg?.type !== "init") return;
  started = true;
  // A rehearsal process still running ends first; a message that comes meanwhile (a revocation
  // for this process: libos/revoke.ts) waits for this process's listener. A failed rehearsal
  // ends the Worker (its error): this process then never starts.
  const queued: unknown[] = [];
  if (rehearsal) {
    workerScope.onmessage = (ev: MessageEvent) => queued.push(ev.data);
    await rehearsal.catch(() => new Promise<never>(() => {}));
  }
  workerScope.onmessage = null;
  const ch = msg.channel ?? channel;
  if (!ch) throw new Error("sandpiper boot: no call page");
  // The libOS sees the channel in its init either way.
  const init: InitMessage = msg.channel ? msg : { ...msg, channel: ch };
  const pal = msg.channel || !warmPal ? new PalClient(ch) : warmPal;
  // The channel sent ahead is this process's (a recycled Worker's next process gets it again).
  channel = warmPal = undefined;
  // The host kept this Worker for another process (Libos.idle), and its channel: wait for the
  // init message, which then carries none.
  const recycled = (kept: PalClient) => {
    channel = ch;
    warmPal = kept;
    workerScope.onmessage = onMessage;
  };
  // A Worker that did not finish warming up (or never got WARM_UP) installs the personality now,
  // the same way: its members bind to each process, so its Worker can be recycled too.
  const ahead = prepared !== undefined;
  if (!prepared && !init.entry.endsWith(".wasm")) prepared = prepareDeno();
  const os = new Libos(init, pal, { prepared, ahead, recycled });
  for (const data of queued) globalThis.dispatchEvent(new MessageEvent("message", { data }));
  if (init.entry.endsWith(".wasm")) {
    // A prepared personality is bound all the same: its members must not stay unbound.
    os.installDenoPersonality();
    const { runWasiEntry } = await import("./personality/wasi/entry.ts");
    await runWasiEntry(os, init, readHostFile);
    return;
  }
  os.installDenoPersonality();
  if (init.plugin) {
    const { servePlugin } = await import("./plugin_guest.ts");
    await servePlugin(os, init.plugin, init.entry);
    return;
  }
  await os.runModule(init.entry);
}

workerScope.onmessage = onMessage;
