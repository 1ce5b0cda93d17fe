/**
 * Guest side of the call ring: stubs for every host-served PAL call, derived from the ABI table.
 *
 * Slot 0 and the first half of the bulk area belong to synchronous calls; slots 1… and the second
 * half of the bulk area to asynchronous ones (bulk users among them take turns). A thread owns
 * its page: no two threads share one.
 */
import { receiveMessageOnPort } from "node:worker_threads";
import { ABI, type ArgsOf, type HostCallName, type ResultOf } from "../abi.ts";
import { isPalCode, PalCode, PalError } from "../errors.ts";
import { decodeStat } from "../stat_codec.ts";
import { SpinWait } from "./spin_wait.ts";
import { encodeRequest, needsBulk, type RequestSlot } from "./request.ts";
import {
  bulkOffset,
  copyOut,
  fileEpochs,
  type PageGeometry,
  readGeometry,
  RespFlag,
  slotOffset,
  SlotState,
  SlotWord,
  Where,
} from "../ring.ts";

/** What a guest thread needs to make calls. */
export interface GuestChannel {
  readonly page: SharedArrayBuffer;
  readonly doorbell: SharedArrayBuffer;
  /** Host→guest port for transfers (SharedArrayBuffers, MessagePorts), read synchronously. */
  readonly syncPort: MessagePort;
}

const dec = new TextDecoder();
/** Most calls submitted by `detach` and not yet freed (each holds an asynchronous slot). */
const MAX_DETACHED = 2;

interface Slot extends RequestSlot {
  readonly index: number;
  readonly words: Int32Array;
}

/** A call to make inside a batch. */
export type BatchCall = { [K in HostCallName]: [K, ...ArgsOf<K>] }[HostCallName];

/** The guest's PAL client for one thread. */
export class PalClient {
  readonly geometry: PageGeometry;
  /** The sandbox's file epoch table (ring.ts `fileEpochs`), if the doorbell has one. */
  readonly epochs: Int32Array | null;
  readonly #bulk: Uint8Array;
  readonly #slots: Slot[];
  readonly #doorbell: Int32Array;
  readonly #port: MessagePort;
  readonly #freeAsync: number[] = [];
  readonly #slotWaiters: (() => void)[] = [];
  #asyncBulk: Promise<void> = Promise.resolve();
  #seq = 0;
  readonly #spin = new SpinWait();
  #messages: unknown[] = [];
  /** Asynchronous slots of calls started by `detach`, freed once their result is in. */
  readonly #detached: { slot: number; name: HostCallName }[] = [];
  /** Run when an asynchronous call finds every asynchronous slot taken: users of `post` that
   * keep finished calls unsettled (write-behind) settle them, instead of the call waiting for
   * a slot nobody frees. */
  readonly onSlotsWanted: (() => void)[] = [];

  constructor(ch: GuestChannel) {
    this.geometry = readGeometry(ch.page);
    const g = this.geometry;
    this.#bulk = new Uint8Array(ch.page, bulkOffset(g), g.bulkBytes);
    this.#slots = [];
    for (let i = 0; i < g.slots; i++) {
      const off = slotOffset(g, i);
      this.#slots.push({
        index: i,
        words: new Int32Array(ch.page, off, 8),
        data: new Uint8Array(ch.page, off + 32, g.inlineBytes),
        view: new DataView(ch.page, off + 32, g.inlineBytes),
        out: { bulk: false, off: 0, len: 0 },
      });
      if (i > 0) this.#freeAsync.push(i);
    }
    this.#doorbell = new Int32Array(ch.doorbell, 0, 4);
    this.epochs = fileEpochs(ch.doorbell);
    this.#port = ch.syncPort;
  }

  /** Make a host call synchronously. `out` arguments are lengths; `bytes` results are copies. */
  call<K extends HostCallName>(name: K, ...args: ArgsOf<K>): ResultOf<K> {
    const slot = this.#slots[0]!;
    this.#submit(slot, name, args as unknown[], 0, this.geometry.bulkBytes >> 1);
    this.#ring();
    this.#waitSync(slot);
    return this.#finish(slot, name, undefined) as ResultOf<K>;
  }

  /** Like `call` for a call with a `bytes` result: copies the bytes into `target`, returns n. */
  callInto<K extends HostCallName>(name: K, target: Uint8Array, ...args: ArgsOf<K>): number {
    const slot = this.#slots[0]!;
    this.#submit(slot, name, args as unknown[], 0, this.geometry.bulkBytes >> 1);
    this.#ring();
    this.#waitSync(slot);
    return this.#finish(slot, name, target) as number;
  }

  /** Make a host call without blocking the event loop. */
  async callAsync<K extends HostCallName>(name: K, ...args: ArgsOf<K>): Promise<ResultOf<K>> {
    const slot = await this.#takeAsyncSlot();
    const half = this.geometry.bulkBytes >> 1;
    const needsBulk = this.#needsBulk(name, args as unknown[]);
    let release: () => void = () => {};
    if (needsBulk) {
      const prev = this.#asyncBulk;
      this.#asyncBulk = new Promise((r) => (release = r));
      await prev;
    }
    try {
      this.#submit(slot, name, args as unknown[], half, this.geometry.bulkBytes - half);
      this.#ring();
      await this.#waitAsync(slot);
      return this.#finish(slot, name, undefined) as ResultOf<K>;
    } finally {
      release();
      this.#releaseAsyncSlot(slot.index);
    }
  }

  /**
   * Submit several calls at once and wait for all (FlexSC batching). Inline payloads only. The
   * batch uses the synchronous slot and the asynchronous slots that are free (never one a
   * posted, detached or asynchronous call holds), in rounds of that many calls.
   */
  batch(calls: readonly BatchCall[]): (unknown | PalError)[] {
    this.#reap();
    const own = [0, ...this.#freeAsync.splice(0)];
    const results: (unknown | PalError)[] = [];
    /** A failure that is no PalError (a bug): thrown once every submitted call was waited for. */
    let unexpected: { readonly e: unknown } | null = null;
    try {
      for (let start = 0; start < calls.length; start += own.length) {
        const chunk = calls.slice(start, start + own.length);
        let submitted = 0;
        try {
          for (const [name, ...args] of chunk) {
            this.#submit(this.#slots[own[submitted]!]!, name, args, 0, 0);
            submitted++;
          }
        } finally {
          // Those submitted run (and are waited for) even when a later one was refused.
          this.#ring();
          for (let i = 0; i < submitted; i++) {
            const slot = this.#slots[own[i]!]!;
            this.#waitSync(slot);
            try {
              results.push(this.#finish(slot, chunk[i]![0], undefined));
            } catch (e) {
              if (e instanceof PalError) results.push(e);
              else unexpected ??= { e };
            }
          }
        }
        if (unexpected) throw unexpected.e;
      }
    } finally {
      for (const i of own.slice(1)) this.#releaseAsyncSlot(i);
    }
    return results;
  }

  /**
   * Start a call on an asynchronous slot and return at once, without a promise: the slot to
   * `settle` later, or -1 when every asynchronous slot is taken. Inline arguments only.
   */
  post<K extends HostCallName>(name: K, ...args: ArgsOf<K>): number {
    if (this.#needsBulk(name, args as unknown[])) {
      throw new PalError(PalCode.INVAL, `${name}: a posted call takes inline arguments only`);
    }
    const i = this.#submitAsync(name, args as unknown[]);
    if (i >= 0) this.#ring();
    return i;
  }

  /** Submit a call with inline arguments on a free asynchronous slot: the slot, or -1 when
   * none is free. The caller rings (or not: `detach`). */
  #submitAsync(name: HostCallName, args: unknown[]): number {
    this.#reap();
    const i = this.#freeAsync.pop();
    if (i === undefined) return -1;
    try {
      this.#submit(this.#slots[i]!, name, args, 0, 0);
    } catch (e) {
      this.#releaseAsyncSlot(i);
      throw e;
    }
    return i;
  }

  /**
   * Submit a call nobody waits for, when neither its result nor its timing can matter (the
   * close of a file open only for reading): false when no asynchronous slot is free (the
   * caller then makes the call itself). The doorbell is not rung: the host runs the call with
   * this thread's next call (it serves a page's calls in the order they were made, so every
   * later call of this thread sees it done), or at its next idle check (≤ 50 ms) if none comes.
   * Waking the host costs more than the call: measured on a 2-core VM, ringing after a long
   * copy held the caller 30–400 µs. The slot is freed once the result is in; an error is
   * dropped. Inline arguments only.
   */
  detach<K extends HostCallName>(name: K, ...args: ArgsOf<K>): boolean {
    this.#reap();
    if (this.#detached.length >= MAX_DETACHED || this.#needsBulk(name, args as unknown[])) {
      return false;
    }
    const i = this.#submitAsync(name, args as unknown[]);
    if (i < 0) return false;
    this.#detached.push({ slot: i, name });
    return true;
  }

  /**
   * Whether nothing is in flight: every asynchronous slot free (detached calls whose result is
   * in are reaped first) and nobody waiting for one. Only then may the client serve another
   * process (`reset`).
   */
  get quiescent(): boolean {
    this.#reap();
    return this.#detached.length === 0 && this.#slotWaiters.length === 0 &&
      this.#freeAsync.length === this.#slots.length - 1;
  }

  /**
   * Start over for the next process of a recycled Worker (libos/libos.ts `Libos.idle`), over
   * the same call page: forget the users that asked to be told when slots are wanted and any
   * message left on the sync port. Call only when `quiescent`.
   */
  reset(): void {
    this.onSlotsWanted.length = 0;
    this.#messages = [];
    while (receiveMessageOnPort(this.#port as never) !== undefined) {
      // Drop it: it was the ended process's.
    }
  }

  /** Free the slots of detached calls whose result is in. */
  #reap(): void {
    const list = this.#detached;
    if (list.length === 0) return;
    for (let i = list.length - 1; i >= 0; i--) {
      const d = list[i]!;
      if (!this.isDone(d.slot)) continue;
      list.splice(i, 1);
      try {
        this.#finish(this.#slots[d.slot]!, d.name, undefined);
      } catch {
        // Dropped: see `detach`.
      }
      this.#releaseAsyncSlot(d.slot);
    }
  }

  /** Whether the call `post` started on `slot` has its result (`settle` will not wait). */
  isDone(slot: number): boolean {
    return Atomics.load(this.#slots[slot]!.words, SlotWord.STATE) === SlotState.DONE;
  }

  /** Wait for the call `post` started on `slot` and free the slot: its result (or PalError). */
  settle<K extends HostCallName>(slot: number, name: K): ResultOf<K> {
    const s = this.#slots[slot]!;
    try {
      this.#waitSync(s);
      return this.#finish(s, name, undefined) as ResultOf<K>;
    } finally {
      this.#releaseAsyncSlot(slot);
    }
  }

  /** Take the next value the host attached to a call (a transfer on the sync port). */
  takeMessage(): unknown {
    if (this.#messages.length === 0) throw new PalError(PalCode.BAD_MESSAGE, "no message");
    return this.#messages.shift();
  }

  #needsBulk(name: HostCallName, args: unknown[]): boolean {
    return needsBulk(name, args, this.geometry.inlineBytes);
  }

  #submit(
    slot: Slot,
    name: HostCallName,
    args: unknown[],
    bulkStart: number,
    bulkLen: number,
  ): void {
    const reqLen = encodeRequest(slot, this.#bulk, name, args, bulkStart, bulkLen);
    const words = slot.words;
    words[SlotWord.CALL] = ABI[name].num;
    words[SlotWord.REQ_LEN] = reqLen;
    words[SlotWord.SEQ] = ++this.#seq;
    Atomics.store(words, SlotWord.STATE, SlotState.SUBMITTED);
  }

  #ring(): void {
    Atomics.add(this.#doorbell, 0, 1);
    Atomics.notify(this.#doorbell, 0);
  }

  #waitSync(slot: Slot): void {
    this.#spin.wait(slot.words);
  }

  async #waitAsync(slot: Slot): Promise<void> {
    const w = slot.words;
    for (;;) {
      const s = Atomics.load(w, SlotWord.STATE);
      if (s === SlotState.DONE) return;
      const r = Atomics.waitAsync(w, SlotWord.STATE, s, 1000);
      if (r.async) await r.value;
    }
  }

  #finish(slot: Slot, name: HostCallName, target: Uint8Array | undefined): unknown {
    const w = slot.words;
    const result = w[SlotWord.RESULT]!;
    const respLen = w[SlotWord.RESP_LEN]!;
    const flags = w[SlotWord.FLAGS]!;
    try {
      if (flags & RespFlag.PORT_MESSAGE) this.#messages.push(this.#receive());
      if (result < 0) {
        const code = -result;
        const info = this.#readJson(slot) as { m?: unknown; d?: unknown } | null;
        const msg = typeof info?.m === "string" ? info.m : undefined;
        throw PalError.quick(isPalCode(code) ? code : PalCode.BAD_MESSAGE, msg, info?.d);
      }
      switch (ABI[name].result) {
        case "void":
          return undefined;
        case "int":
          return slot.view.getFloat64(0, true);
        case "str":
          return dec.decode(this.#blob(slot));
        case "json":
          return this.#readJson(slot);
        case "stat":
          return decodeStat(slot.view);
        case "bytes":
          return this.#readOut(slot, respLen, target);
      }
    } finally {
      Atomics.store(w, SlotWord.STATE, SlotState.FREE);
    }
  }

  #receive(): unknown {
    const t0 = performance.now();
    for (;;) {
      const m = receiveMessageOnPort(this.#port as never);
      if (m) return (m as { message: unknown }).message;
      if (performance.now() - t0 > 5000) {
        throw new PalError(PalCode.TIMED_OUT, "host transfer did not arrive");
      }
    }
  }

  /** The str/json response bytes, a view of the page (decoded at once, never kept). */
  #blob(slot: Slot): Uint8Array {
    const where = slot.view.getUint8(0);
    const off = slot.view.getUint32(1, true);
    const len = slot.view.getUint32(5, true);
    const src = where === Where.BULK ? this.#bulk : slot.data;
    if (off + len > src.length) throw new PalError(PalCode.BAD_MESSAGE, "response out of bounds");
    return src.subarray(off, off + len);
  }

  #readJson(slot: Slot): unknown {
    const bytes = this.#blob(slot);
    return bytes.length === 0 ? null : JSON.parse(dec.decode(bytes));
  }

  #readOut(slot: Slot, n: number, target: Uint8Array | undefined): unknown {
    const out = slot.out;
    const src = out.bulk ? this.#bulk : slot.data;
    if (!Number.isInteger(n) || n < 0 || n > out.len) {
      throw new PalError(PalCode.BAD_MESSAGE, "response too long");
    }
    const view = src.subarray(out.off, out.off + n);
    if (target) {
      const k = Math.min(n, target.length);
      target.set(view.subarray(0, k));
      return k;
    }
    return copyOut(view, 0, n);
  }

  async #takeAsyncSlot(): Promise<Slot> {
    for (;;) {
      this.#reap();
      let i = this.#freeAsync.pop();
      if (i === undefined) {
        for (const f of this.onSlotsWanted) f();
        i = this.#freeAsync.pop();
      }
      if (i !== undefined) return this.#slots[i]!;
      if (this.#detached.length > 0) {
        // Nobody else frees a detached call's slot: have it run now and wait for it.
        this.#ring();
        await this.#waitAsync(this.#slots[this.#detached[0]!.slot]!);
        continue;
      }
      await new Promise<void>((r) => this.#slotWaiters.push(r));
    }
  }

  #releaseAsyncSlot(i: number): void {
    this.#freeAsync.push(i);
    this.#slotWaiters.shift()?.();
  }
}
