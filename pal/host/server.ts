/**
 * Host side of the call ring: claims submitted slots, copies each request out of shared memory,
 * validates it against the ABI table and runs the handler. Nothing a guest writes can make it
 * throw: garbage is answered with an error code, and the loop goes on.
 *
 * One server per sandbox serves all its call pages, one request at a time for synchronous
 * handlers (so a guest cannot race a path walk against another of its own calls).
 *
 * Posted calls (`POSTED_CALLS`: a write-behind write, libos/vfs/write_behind.ts) are calls a
 * guest does not wait for: its write has returned before the host runs it. So that every later
 * call of the sandbox sees such a write, the server runs the submitted posted calls of every
 * other page that has a write-behind buffer before it runs any call (`#drainPosted`): a call
 * submitted after a write returned is seen after that write was submitted. A page's own calls
 * run in their sequence order anyway. A page detached with posted calls still submitted (its
 * process exited or was killed) has them run first: a write that returned is never lost.
 */
import { ABI, BY_NUMBER, type CallName } from "../abi.ts";
import { PalCode, PalError } from "../errors.ts";
import {
  bulkOffset,
  LOCATOR_BYTES,
  MAX_INLINE_BYTES,
  type PageGeometry,
  RespFlag,
  slotOffset,
  SlotState,
  SlotWord,
} from "../ring.ts";
import type { CallContext, HostHandlers } from "./dispatch.ts";
import { toPalError } from "./errors_map.ts";
import { decodeArgs, encodeError, encodeResult, type HostSlot } from "./server_codec.ts";
import { yieldToEventLoop } from "../turn.ts";

export { MAX_JSON_BYTES, MAX_STR_BYTES } from "./server_codec.ts";

/**
 * Calls whose `bytes` argument is opaque data the handler only stores (a file block): a bulk
 * payload reaches the handler as a live view of the call page instead of a private copy. The
 * handler must neither check nor keep such a view, and must consume it before it returns
 * (synchronously); anything else copies it first (`streams.ts` does so for non-file writes).
 */
export const SHARED_DATA_CALLS: ReadonlySet<CallName> = new Set<CallName>(["stream_write"]);

/** Call numbers of posted calls (see above). The number is read from the guest's slot: garbage
 * only changes which of its own calls run early. */
const POSTED_CALLS: ReadonlySet<number> = new Set([ABI.stream_write_from.num]);

const SPIN_MS = 0.05;
/** Spin while at least this share of recent spins caught a call. */
const SPIN_KEEP = 0.5;
const SPIN_MAX_MS = 0.2;

interface HostPage<Owner> {
  readonly sab: SharedArrayBuffer;
  readonly geometry: PageGeometry;
  owner: Owner;
  /** A page served before it has an owner (`attachWarming`): the calls it may make. */
  only: ReadonlySet<string> | null;
  readonly port: MessagePort;
  readonly slots: HostSlot[];
  readonly bulk: Uint8Array;
  /** Slots with an async handler in flight; not claimable until it completes. */
  readonly inflight: Set<number>;
  /** The thread's write-behind buffer (`CallContext.openPostBuffer`), once it has one. */
  postBuffer: SharedArrayBuffer | null;
  closed: boolean;
}

/** A private request buffer and its view. */
interface Scratch {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

function scratch(): Scratch {
  const bytes = new Uint8Array(MAX_INLINE_BYTES);
  return { bytes, view: new DataView(bytes.buffer) };
}

/** Counters for tests and the trace. */
export interface ServerStats {
  served: number;
  errors: number;
  malformed: number;
}

/** Serves the call pages of one sandbox. */
export class RingServer<Owner = unknown> {
  readonly stats: ServerStats = { served: 0, errors: 0, malformed: 0 };
  readonly #doorbell: Int32Array;
  readonly #handlers: HostHandlers<Owner>;
  readonly #pages = new Set<HostPage<Owner>>();
  /** Pages with a write-behind buffer: their posted calls run before any other call. */
  readonly #posting = new Set<HostPage<Owner>>();
  readonly #scratch = scratch();
  #running = false;
  /** How often a spin for the next call recently caught one (moving average). */
  #spinHits = 1;
  #probes = 0;
  /** How long the doorbell usually stays quiet after the calls are served (ms, moving average). */
  #usualGapMs = SPIN_MS;
  #stopped: Promise<void> = Promise.resolve();
  /** Called for every served call when tracing is on. */
  onCall?: (
    owner: Owner,
    name: CallName | number,
    result: number,
    /** The decoded arguments (null when the request was malformed). */
    args: readonly unknown[] | null,
    /** What the handler returned (or the error it threw). */
    value: unknown,
  ) => void;

  constructor(doorbell: SharedArrayBuffer, handlers: HostHandlers<Owner>) {
    this.#doorbell = new Int32Array(doorbell, 0, 4);
    this.#handlers = handlers;
  }

  /** Serve a page. `geometry` is the host's own record (never read back from the page). */
  attach(sab: SharedArrayBuffer, geometry: PageGeometry, owner: Owner, port: MessagePort): object {
    const slots: HostSlot[] = [];
    for (let i = 0; i < geometry.slots; i++) {
      const off = slotOffset(geometry, i);
      slots.push({
        index: i,
        words: new Int32Array(sab, off, 8),
        data: new Uint8Array(sab, off + 32, geometry.inlineBytes),
        view: new DataView(sab, off + 32, geometry.inlineBytes),
        payload: new Uint8Array(
          sab,
          off + 32 + LOCATOR_BYTES,
          geometry.inlineBytes - LOCATOR_BYTES,
        ),
        args: null,
      });
    }
    const page: HostPage<Owner> = {
      sab,
      geometry,
      owner,
      only: null,
      port,
      slots,
      bulk: new Uint8Array(sab, bulkOffset(geometry), geometry.bulkBytes),
      inflight: new Set(),
      postBuffer: null,
      closed: false,
    };
    this.#pages.add(page);
    return page;
  }

  /**
   * Serve a page that has no owner yet, for the calls in `only` alone (their handlers must not
   * use the owner): a pooled Worker warms its call path with them before any process is its
   * (sandbox/host/proc_pool.ts); every other call is DENIED. `adopt` gives it its owner.
   */
  attachWarming(
    sab: SharedArrayBuffer,
    geometry: PageGeometry,
    port: MessagePort,
    only: ReadonlySet<CallName>,
  ): object {
    const token = this.attach(sab, geometry, undefined as Owner, port);
    (token as HostPage<Owner>).only = only;
    return token;
  }

  /** A page attached with `attachWarming` now belongs to `owner`, with every call open (a call
   * it submitted before is served as `owner`'s). @returns the page's token */
  adopt(token: object, owner: Owner): object {
    const page = token as HostPage<Owner>;
    if (page.closed || page.only === null) throw new Error("not a warming page");
    page.owner = owner;
    page.only = null;
    return page;
  }

  /**
   * Stop serving a page (its thread or process ended). Its submitted posted calls run first
   * (with their own request buffer: a detach may happen inside another call's handler); its
   * other calls are dropped. In-flight async calls complete into the void.
   */
  detach(token: object): void {
    const page = token as HostPage<Owner>;
    if (page.closed) return;
    if (this.#posting.delete(page)) this.#runPosted(page, scratch(), true);
    page.closed = true;
    this.#pages.delete(page);
  }

  /** Run `page`'s submitted calls in sequence order up to its last posted one (with `only`,
   * its posted calls alone). At most one call per slot. */
  #runPosted(page: HostPage<Owner>, buf: Scratch, only = false): void {
    for (let k = 0; k < page.slots.length; k++) {
      const oldest = this.#oldest(page, true);
      if (!oldest) return;
      // A live page's earlier calls run first, in order (an async truncate before a write).
      const next = only ? oldest : this.#oldest(page);
      if (!next || !this.#claimRun(page, next, buf)) return;
    }
  }

  /** Claim a submitted slot and serve it; false if the guest changed it meanwhile. */
  #claimRun(page: HostPage<Owner>, slot: HostSlot, buf: Scratch): boolean {
    const prev = Atomics.compareExchange(
      slot.words,
      SlotWord.STATE,
      SlotState.SUBMITTED,
      SlotState.SERVING,
    );
    if (prev !== SlotState.SUBMITTED) return false;
    this.#serve(page, slot, buf);
    return true;
  }

  /** Before a call is served: the posted calls every other page submitted so far. */
  #drainPosted(except: HostPage<Owner>): void {
    for (const page of this.#posting) {
      if (page !== except && !page.closed) this.#runPosted(page, this.#scratch);
    }
  }

  /** Serve every submitted slot once. Returns how many calls were claimed. */
  serveAvailable(): number {
    let n = 0;
    for (const page of this.#pages) {
      // At most one call per slot each time: a guest resubmitting as fast as it is served
      // must not hold the host here (the other pages and the event loop wait).
      for (let k = 0; k < page.slots.length; k++) {
        const slot = this.#oldest(page);
        if (!slot) break;
        const prev = Atomics.compareExchange(
          slot.words,
          SlotWord.STATE,
          SlotState.SUBMITTED,
          SlotState.SERVING,
        );
        if (prev !== SlotState.SUBMITTED) break;
        n++;
        if (this.#posting.size > 0) {
          this.#drainPosted(page);
          if (page.closed) break; // a call just run ended this page's process
        }
        this.#serve(page, slot, this.#scratch);
      }
    }
    return n;
  }

  /**
   * The page's submitted slot with the lowest call sequence number: calls are served in the
   * order they were made, not by slot (a thread's read-ahead posts its windows in the order it
   * will need them). The number is the guest's: garbage only reorders its own calls. With
   * `posted`, the oldest of its posted calls.
   */
  #oldest(page: HostPage<Owner>, posted = false): HostSlot | null {
    let best: HostSlot | null = null, bestSeq = 0;
    for (const slot of page.slots) {
      if (Atomics.load(slot.words, SlotWord.STATE) !== SlotState.SUBMITTED) continue;
      if (page.inflight.has(slot.index)) continue;
      if (posted && !POSTED_CALLS.has(slot.words[SlotWord.CALL]! | 0)) continue;
      const seq = slot.words[SlotWord.SEQ]! | 0;
      if (!best || ((seq - bestSeq) | 0) < 0) [best, bestSeq] = [slot, seq];
    }
    return best;
  }

  /** Run the serve loop until `stop()`: spin briefly after work, then wait on the doorbell. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = this.#loop();
  }

  /** Stop the loop; resolves when it has left. */
  stop(): Promise<void> {
    this.#running = false;
    Atomics.add(this.#doorbell, 0, 1);
    Atomics.notify(this.#doorbell, 0);
    return this.#stopped;
  }

  async #loop(): Promise<void> {
    let busySince = -1;
    let served = false;
    while (this.#running) {
      const seen = Atomics.load(this.#doorbell, 0);
      if (this.serveAvailable() > 0) {
        served = true;
        // Let the event loop (async handlers, control messages) run at least every ~2 ms.
        const now = performance.now();
        if (busySince < 0) busySince = now;
        else if (now - busySince > 2) {
          busySince = -1;
          await yieldToEventLoop();
        }
        continue;
      }
      busySince = -1;
      if (served) {
        // What the calls just served left to run next (a process_exit ends its process in a
        // microtask, which resolves its parent's waitpid, whose completion is another) runs
        // now, not after the spin: measured, the spin kept a parent's waitpid from returning
        // for ~80 µs of a ~750 µs spawn of `true`.
        served = false;
        await settleMicrotasks();
        continue;
      }
      // Spin for the next call, about twice as long as the doorbell usually stays quiet
      // between calls (a guest copying 1 MiB needs longer than one doing stats), within
      // [SPIN_MS, SPIN_MAX_MS]; and only while such spins mostly catch one, probing every 16th
      // time: on a loaded machine the spin holds the core a guest needs (see client.ts).
      const t0 = performance.now();
      const usual = this.#usualGapMs;
      if (this.#spinHits >= SPIN_KEEP || (++this.#probes & 15) === 0) {
        const budget = Math.min(SPIN_MAX_MS, Math.max(SPIN_MS, 2 * usual));
        let t = t0;
        let rang = false;
        while (t - t0 < budget) {
          if (Atomics.load(this.#doorbell, 0) !== seen) {
            rang = true;
            break;
          }
          t = performance.now();
        }
        this.#spinHits = 0.875 * this.#spinHits + (rang ? 0.125 : 0);
        if (rang) {
          this.#usualGapMs = 0.75 * usual + 0.25 * (t - t0);
          continue;
        }
      }
      // A pending waitAsync does not keep Deno's event loop alive: a timer does.
      const w = Atomics.waitAsync(this.#doorbell, 0, seen, 50);
      if (w.async) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([w.value, new Promise((r) => (timer = setTimeout(r, 60)))]);
        clearTimeout(timer);
      } else {
        await yieldToEventLoop();
      }
      this.#usualGapMs = 0.75 * usual + 0.25 * Math.min(1, performance.now() - t0);
    }
  }

  #serve(page: HostPage<Owner>, slot: HostSlot, buf: Scratch): void {
    const w = slot.words;
    const num = w[SlotWord.CALL]! | 0;
    const reqLen = w[SlotWord.REQ_LEN]! | 0;
    const seq = w[SlotWord.SEQ]! | 0;
    let flags = 0;
    const ctx: CallContext<Owner> = {
      owner: page.owner,
      slot: slot.index,
      page,
      transfer: (value, transfer) => {
        if (flags & RespFlag.PORT_MESSAGE) {
          throw new PalError(PalCode.INVAL, "one transfer per call");
        }
        page.port.postMessage(value, transfer ?? []);
        flags |= RespFlag.PORT_MESSAGE;
      },
      get postBuffer() {
        return page.postBuffer;
      },
      openPostBuffer: (bytes) => {
        if (page.postBuffer) throw new PalError(PalCode.EXISTS, "this thread has its buffer");
        page.postBuffer = new SharedArrayBuffer(bytes);
        this.#posting.add(page);
        return page.postBuffer;
      },
    };
    let name: CallName | number = num;
    let args: unknown[];
    let resultType: string;
    try {
      const row = BY_NUMBER.get(num);
      if (!row || row.spec.side !== "host") {
        throw new PalError(PalCode.NOT_IMPLEMENTED, `no host call number ${num}`);
      }
      name = row.name;
      resultType = row.spec.result;
      if (page.only && !page.only.has(name)) {
        throw new PalError(PalCode.DENIED, `${name} before the page has a process`);
      }
      if (reqLen < 0 || reqLen > page.geometry.inlineBytes) {
        throw new PalError(PalCode.INVAL, `request length ${reqLen} out of range`);
      }
      const req = buf.bytes.subarray(0, reqLen);
      req.set(slot.data.subarray(0, reqLen)); // copy before checking anything
      args = decodeArgs(
        row.spec.args,
        req,
        buf.view,
        page,
        slot,
        SHARED_DATA_CALLS.has(name),
      );
      slot.args = this.onCall ? args : null;
    } catch (e) {
      slot.args = null;
      this.stats.malformed++;
      this.#complete(page, slot, seq, e, "void", flags);
      return;
    }
    const handler = this.#handlers[name as keyof HostHandlers<Owner>] as
      | ((...a: unknown[]) => unknown)
      | undefined;
    if (!handler) {
      this.#complete(
        page,
        slot,
        seq,
        new PalError(PalCode.NOT_IMPLEMENTED, `${name} is not served here`),
        "void",
        flags,
      );
      return;
    }
    let out: unknown;
    try {
      out = handler(ctx, ...args);
    } catch (e) {
      this.#complete(page, slot, seq, e, resultType, flags);
      return;
    }
    if (out instanceof Promise) {
      page.inflight.add(slot.index);
      out.then(
        (v) => this.#complete(page, slot, seq, v, resultType, flags, true),
        (e) => this.#complete(page, slot, seq, e, resultType, flags, true),
      );
      return;
    }
    this.#complete(page, slot, seq, out, resultType, flags);
  }

  #complete(
    page: HostPage<Owner>,
    slot: HostSlot,
    seq: number,
    value: unknown,
    resultType: string,
    flags: number,
    async = false,
  ): void {
    if (async) page.inflight.delete(slot.index);
    if (page.closed) return;
    const w = slot.words;
    let result = 0;
    let respLen = 0;
    try {
      if (value instanceof Error) throw value;
      respLen = encodeResult(resultType, value, slot, page);
      this.stats.served++;
    } catch (e) {
      const err = toPalError(e);
      this.stats.errors++;
      result = -err.code;
      respLen = encodeError(err, slot);
    }
    if (respLen < 0) {
      flags |= RespFlag.BULK;
      respLen = -respLen;
    }
    const name = BY_NUMBER.get(w[SlotWord.CALL]!)?.name ?? -1;
    if (!page.only) this.onCall?.(page.owner, name, result, slot.args, value);
    w[SlotWord.RESULT] = result;
    w[SlotWord.RESP_LEN] = respLen;
    w[SlotWord.FLAGS] = flags;
    w[SlotWord.SEQ_ECHO] = seq;
    Atomics.store(w, SlotWord.STATE, SlotState.DONE);
    Atomics.notify(w, SlotWord.STATE);
  }
}

/** Microtask rounds `settleMicrotasks` lets run: enough for the end of a process, the waiter
 * it resolves and that call's completion (each `then` and each adopted promise is a round). */
const MICROTASK_ROUNDS = 8;

/** Let the microtasks queued so far, and those they queue up to MICROTASK_ROUNDS deep, run. */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < MICROTASK_ROUNDS; i++) await undefined;
}
