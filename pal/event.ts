/**
 * Events (auto-reset and manual-reset) and `waitAny` over SharedArrayBuffer words.
 *
 * Events live in an `EventGroup`: one SAB whose single notification word every `set()` bumps
 * and notifies, so one `Atomics.wait` covers any subset of the group's events (`waitAny`).
 * Layout (Int32 words): `[0]` MAGIC, `[1]` capacity (events), `[2]` events allocated,
 * `[3]` notification sequence, `[4]` waiters, `[5..7]` reserved; then per event `i`:
 * `[8+2i]` state (0 clear, 1 set), `[9+2i]` kind (1 auto-reset, 2 manual-reset).
 * Words are untrusted: a handle copies an event's kind when it is made; garbage state values
 * read as "not set".
 */
import { PalCode, PalError } from "./errors.ts";
import { deadlineFor, spinThenWait } from "./futex.ts";

const MAGIC = 0x45564e54; // "EVNT"
const CAPACITY = 1;
const ALLOCATED = 2;
const SEQ = 3;
const WAITERS = 4;
const HEADER_WORDS = 8;
const KIND_AUTO = 1;
const KIND_MANUAL = 2;

/** Reset behaviour: "auto" clears when one waiter takes it; "manual" stays set until cleared. */
export type EventKind = "auto" | "manual";

/** A set of events that can be waited on together. */
export class EventGroup {
  readonly i32: Int32Array;
  private constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
  }

  /** A group with room for `maxEvents` events. @throws {PalError} INVAL */
  static create(maxEvents: number): EventGroup {
    if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents > 1 << 20) {
      throw new PalError(PalCode.INVAL, `bad maxEvents ${maxEvents}`);
    }
    const g = new EventGroup(new SharedArrayBuffer((HEADER_WORDS + 2 * maxEvents) * 4));
    g.i32[CAPACITY] = maxEvents;
    Atomics.store(g.i32, 0, MAGIC);
    return g;
  }

  /** The group over `sab` received from another thread. @throws {PalError} BAD_MESSAGE */
  static attach(sab: SharedArrayBuffer): EventGroup {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < HEADER_WORDS * 4 + 8) {
      throw new PalError(PalCode.BAD_MESSAGE, "event group: bad buffer");
    }
    const g = new EventGroup(sab);
    const cap = Atomics.load(g.i32, CAPACITY);
    if (Atomics.load(g.i32, 0) !== MAGIC || sab.byteLength !== (HEADER_WORDS + 2 * cap) * 4) {
      throw new PalError(PalCode.BAD_MESSAGE, "event group: bad header");
    }
    return g;
  }

  /** Number of event slots (from the buffer size, not from shared memory). */
  get capacity(): number {
    return (this.i32.length - HEADER_WORDS) / 2;
  }

  /** Allocate a new event. @throws {PalError} NO_SPACE when the group is full */
  createEvent(kind: EventKind, initiallySet = false): Event {
    const id = Atomics.add(this.i32, ALLOCATED, 1);
    if (id < 0 || id >= this.capacity) {
      Atomics.sub(this.i32, ALLOCATED, 1);
      throw new PalError(PalCode.NO_SPACE, "event group full");
    }
    Atomics.store(this.i32, HEADER_WORDS + 2 * id + 1, kind === "auto" ? KIND_AUTO : KIND_MANUAL);
    Atomics.store(this.i32, HEADER_WORDS + 2 * id, initiallySet ? 1 : 0);
    return new Event(this, id, kind);
  }

  /** A handle on event `id` made by another thread. @throws {PalError} INVAL, BAD_MESSAGE */
  event(id: number): Event {
    if (!Number.isInteger(id) || id < 0 || id >= this.capacity) {
      throw new PalError(PalCode.INVAL, `event id ${id} out of range`);
    }
    const k = Atomics.load(this.i32, HEADER_WORDS + 2 * id + 1);
    if (k !== KIND_AUTO && k !== KIND_MANUAL) {
      throw new PalError(PalCode.BAD_MESSAGE, `event ${id} not created`);
    }
    return new Event(this, id, k === KIND_AUTO ? "auto" : "manual");
  }

  /** Bump the notification word and wake every waiter of the group. */
  notifyAll(): void {
    Atomics.add(this.i32, SEQ, 1);
    if (Atomics.load(this.i32, WAITERS) !== 0) Atomics.notify(this.i32, SEQ);
  }
}

/** One event of a group; cheap handle, many may exist per event. */
export class Event {
  readonly #word: number;
  /** Use `EventGroup.createEvent` or `EventGroup.event`. */
  constructor(readonly group: EventGroup, readonly id: number, readonly kind: EventKind) {
    this.#word = HEADER_WORDS + 2 * id;
  }
  /** Signal the event and wake waiters. */
  set(): void {
    Atomics.store(this.group.i32, this.#word, 1);
    this.group.notifyAll();
  }
  /** Clear the event. */
  clear(): void {
    Atomics.store(this.group.i32, this.#word, 0);
  }
  /** Whether it is set now (does not consume an auto-reset event). */
  get isSet(): boolean {
    return Atomics.load(this.group.i32, this.#word) === 1;
  }
  /** Take the event if set (auto-reset: clears it). */
  tryTake(): boolean {
    if (this.kind === "manual") return this.isSet;
    return Atomics.compareExchange(this.group.i32, this.#word, 1, 0) === 1;
  }
  /** Wait until set, up to `timeoutMs`. @returns false on timeout */
  wait(timeoutMs?: number): boolean {
    return waitAny([this], timeoutMs) !== -1;
  }
}

/**
 * Wait until one of `events` (all of one group) is set; an auto-reset event is consumed.
 * @param events non-empty list of events of the same group
 * @param timeoutMs maximum wait; omitted means forever
 * @returns the index in `events` of the event taken, or -1 on timeout
 * @throws {PalError} INVAL for an empty list or events of different groups
 * @example
 * ```ts
 * import { EventGroup, waitAny } from "./event.ts";
 * const g = EventGroup.create(2);
 * const a = g.createEvent("auto"), b = g.createEvent("manual");
 * b.set();
 * waitAny([a, b], 0); // 1
 * ```
 */
export function waitAny(events: readonly Event[], timeoutMs?: number): number {
  const first = events[0];
  if (first === undefined) throw new PalError(PalCode.INVAL, "waitAny: no events");
  const group = first.group;
  if (events.some((e) => e.group !== group)) {
    throw new PalError(PalCode.INVAL, "waitAny: events of different groups");
  }
  const deadline = deadlineFor(timeoutMs);
  const i32 = group.i32;
  for (;;) {
    const seq = Atomics.load(i32, SEQ);
    for (let i = 0; i < events.length; i++) if (events[i]!.tryTake()) return i;
    if (performance.now() >= deadline) return -1;
    Atomics.add(i32, WAITERS, 1);
    try {
      spinThenWait(i32, SEQ, seq, deadline);
    } finally {
      Atomics.sub(i32, WAITERS, 1);
    }
  }
}

/**
 * `waitAny` without blocking the thread: waits with `Atomics.waitAsync`, holding a timer so the
 * event loop stays alive while it waits (a pending waitAsync alone does not).
 * @returns the index of the event taken, or -1 on timeout
 * @throws {PalError} INVAL as `waitAny`
 */
export async function waitAnyAsync(events: readonly Event[], timeoutMs?: number): Promise<number> {
  const first = events[0];
  if (first === undefined) throw new PalError(PalCode.INVAL, "waitAny: no events");
  const group = first.group;
  if (events.some((e) => e.group !== group)) {
    throw new PalError(PalCode.INVAL, "waitAny: events of different groups");
  }
  const deadline = deadlineFor(timeoutMs);
  const i32 = group.i32;
  for (;;) {
    const seq = Atomics.load(i32, SEQ);
    for (let i = 0; i < events.length; i++) if (events[i]!.tryTake()) return i;
    const left = deadline - performance.now();
    if (left <= 0) return -1;
    Atomics.add(i32, WAITERS, 1);
    try {
      const r = Atomics.waitAsync(i32, SEQ, seq, left);
      if (r.async) await heldWhile(r.value);
    } finally {
      Atomics.sub(i32, WAITERS, 1);
    }
  }
}

/** Await `p` while a timer keeps the event loop alive. */
export async function heldWhile<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1 << 30);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}
