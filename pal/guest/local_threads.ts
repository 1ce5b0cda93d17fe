/**
 * Guest-served thread and synchronisation calls. Events are ids in the process's EventGroup;
 * futex addresses are words of the process's address space; threads are Workers the host starts
 * on request (`thread_spawn`), each with its own call page, joined through the thread table.
 * Calls here: thread_create, thread_exit, thread_yield, thread_join, event_create, event_set,
 * event_clear, event_wait, futex_wait, futex_wake, wait_any.
 */
import { PalCode, PalError } from "../errors.ts";
import { type Event, heldWhile, waitAny, waitAnyAsync } from "../event.ts";
import { futexWait, futexWake } from "../futex.ts";
import { workerScope } from "../worker_scope.ts";
import { yieldToEventLoop } from "../turn.ts";
import type { AsyncLocalTable, LocalState, LocalTable, ProcessShared } from "./local_state.ts";

/** What `thread_create` takes: the thread runs `(await import(module))[fn](arg, pal)`. */
export interface ThreadSpec {
  /** URL of a module in the app's code directory (the only one a thread can read). */
  readonly module: string;
  /** Name of the exported function; its (awaited) number result is the exit code. */
  readonly fn: string;
  /** Any structured-cloneable value. */
  readonly arg?: unknown;
}

/** What the creating thread sends a new thread on its setup port. */
export interface ThreadSetup extends ThreadSpec {
  readonly shared: ProcessShared;
}

/** The message a thread posts to the host once it has recorded its exit. */
export const THREAD_EXITED = "sandpiper-thread-exited";
/** Most events one `wait_any` takes. */
export const MAX_WAIT_EVENTS = 64;
const YIELD_MS = 0.01;

const FUTEX_RESULT = { "ok": 0, "not-equal": 1, "timed-out": 2 } as const;
const forever = (ms: number) => (ms < 0 ? undefined : ms);
const yieldWord = new Int32Array(new SharedArrayBuffer(4));

function checkSpec(spec: unknown): ThreadSpec {
  const s = spec as ThreadSpec | null;
  if (typeof s?.module !== "string" || typeof s.fn !== "string" || s.fn.length === 0) {
    throw new PalError(PalCode.INVAL, "thread_create: {module, fn, arg} expected");
  }
  return s;
}

function event(s: LocalState, id: number): Event {
  try {
    return s.events.event(id);
  } catch (e) {
    if (e instanceof PalError) throw new PalError(PalCode.BAD_HANDLE, `no event ${id}`);
    throw e;
  }
}

function eventList(s: LocalState, ids: unknown): Event[] {
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_WAIT_EVENTS) {
    throw new PalError(PalCode.INVAL, `wait_any: 1..${MAX_WAIT_EVENTS} event ids expected`);
  }
  return ids.map((id) => event(s, id as number));
}

/** Claim a tid, have the host start the thread, send it its setup. */
function start(s: LocalState, spec: ThreadSpec, port: MessagePort, tid: number): number {
  const setup: ThreadSetup = {
    module: spec.module,
    fn: spec.fn,
    arg: spec.arg,
    shared: s.shared(),
  };
  try {
    port.postMessage(setup);
  } catch (e) {
    throw new PalError(PalCode.INVAL, `thread_create: ${e instanceof Error ? e.message : e}`);
  }
  return tid;
}

function takePort(s: LocalState): MessagePort {
  const port = s.client.takeMessage();
  if (!(port instanceof MessagePort)) throw new PalError(PalCode.BAD_MESSAGE, "no setup port");
  return port;
}

/** Deno's own exit, captured before a libOS may replace it: inside a Worker it ends just that
 * Worker (terminate() cannot stop a thread that never returns to its event loop). */
const realExit: (code: number) => void = Deno.exit.bind(Deno);

function never(): never {
  realExit(0);
  const w = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(w, 0, 0, 20); // short naps: terminate() cannot interrupt an endless wait
}

/** The thread and synchronisation calls. */
export const threadCalls = {
  thread_create(s, json) {
    const spec = checkSpec(json);
    s.shared(); // the address space must exist before a thread attaches to it
    const tid = s.threads.claim();
    try {
      s.client.call("thread_spawn", tid);
      return start(s, spec, takePort(s), tid);
    } catch (e) {
      s.threads.unclaim(tid);
      throw e;
    }
  },
  thread_exit(s, code) {
    if (s.tid === 0) {
      s.client.call("process_exit", code);
      return never();
    }
    s.client.call("thread_end", s.tid);
    s.threads.exit(s.tid, code);
    workerScope.postMessage(THREAD_EXITED);
    return never();
  },
  thread_yield() {
    Atomics.wait(yieldWord, 0, 0, YIELD_MS);
  },
  thread_join(s, tid, timeoutMs) {
    return s.threads.join(tid, s.tid, forever(timeoutMs));
  },
  event_create(s, manual) {
    if (manual !== 0 && manual !== 1) throw new PalError(PalCode.INVAL, "event_create: 0 or 1");
    return s.events.createEvent(manual === 1 ? "manual" : "auto").id;
  },
  event_set(s, id) {
    event(s, id).set();
  },
  event_clear(s, id) {
    event(s, id).clear();
  },
  event_wait(s, id, timeoutMs) {
    return event(s, id).wait(forever(timeoutMs)) ? 1 : 0;
  },
  futex_wait(s, addr, expected, timeoutMs) {
    const { i32, index } = s.space.word(addr);
    return FUTEX_RESULT[futexWait(i32, index, expected, forever(timeoutMs))];
  },
  futex_wake(s, addr, count) {
    const { i32, index } = s.space.word(addr);
    return futexWake(i32, index, count < 0 ? Infinity : count);
  },
  wait_any(s, ids, timeoutMs) {
    return waitAny(eventList(s, ids), forever(timeoutMs));
  },
} satisfies Pick<
  LocalTable,
  | "thread_create"
  | "thread_exit"
  | "thread_yield"
  | "thread_join"
  | "event_create"
  | "event_set"
  | "event_clear"
  | "event_wait"
  | "futex_wait"
  | "futex_wake"
  | "wait_any"
>;

/** Asynchronous forms of the calls that block or reach the host. */
export const threadCallsAsync = {
  async thread_create(s, json) {
    const spec = checkSpec(json);
    s.shared();
    const tid = s.threads.claim();
    try {
      await s.client.callAsync("thread_spawn", tid);
      return start(s, spec, takePort(s), tid);
    } catch (e) {
      s.threads.unclaim(tid);
      throw e;
    }
  },
  async thread_yield() {
    await yieldToEventLoop();
  },
  thread_join(s, tid, timeoutMs) {
    return s.threads.joinAsync(tid, s.tid, forever(timeoutMs));
  },
  async event_wait(s, id, timeoutMs) {
    return (await waitAnyAsync([event(s, id)], forever(timeoutMs))) === -1 ? 0 : 1;
  },
  async futex_wait(s, addr, expected, timeoutMs) {
    const { i32, index } = s.space.word(addr);
    const ms = timeoutMs < 0 ? Infinity : timeoutMs;
    if (Number.isNaN(ms)) throw new PalError(PalCode.INVAL, "bad timeoutMs");
    const r = Atomics.waitAsync(i32, index, expected | 0, ms);
    return FUTEX_RESULT[r.async ? await heldWhile(r.value) : r.value];
  },
  wait_any(s, ids, timeoutMs) {
    return waitAnyAsync(eventList(s, ids), forever(timeoutMs));
  },
} satisfies AsyncLocalTable;
