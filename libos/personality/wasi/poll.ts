/**
 * poll_oneoff: clock and fd subscriptions together. fd subscriptions go to the libOS poll(2)
 * with the nearest clock deadline as its timeout; with no fd subscription the thread sleeps
 * (Atomics.wait). Layouts: subscription 48 bytes (userdata u64 @0, tag u8 @8, clock {id u32
 * @16, timeout u64 @24, precision u64 @32, flags u16 @40} | fd u32 @16); event 32 bytes
 * (userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24).
 */
import { BEAT_SLICE_MS, beatWhileBlocked } from "../../../pal/futex.ts";
import { ErrnoError } from "../../errno.ts";
import { POLL, type PollFd } from "../../sys/types.ts";
import {
  EVENT_FD_READWRITE_HANGUP,
  EventType,
  Filetype,
  SUBCLOCK_ABSTIME,
  WasiErrno,
} from "./constants.ts";
import type { WasiCtx } from "./ctx.ts";
import { toWasiErrno, WasiError } from "./errno.ts";
import { clockNow } from "./misc_calls.ts";

interface Ev {
  userdata: bigint;
  error: number;
  type: number;
  nbytes: bigint;
  flags: number;
}

interface FdSub {
  userdata: bigint;
  type: number;
  fd: number;
}

/** The poll_oneoff import function of one instance. */
export function pollCalls(c: WasiCtx) {
  const { mem } = c;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  return {
    poll_oneoff(inPtr: number, outPtr: number, n: number, countPtr: number): number {
      const count = n >>> 0;
      if (count === 0) throw new WasiError(WasiErrno.INVAL, "no subscriptions");
      mem.check(inPtr, count * 48);
      mem.check(outPtr, count * 32);
      mem.check(countPtr, 4);
      const events: Ev[] = [];
      const fdSubs: FdSub[] = [];
      const clocks: { userdata: bigint; deadlineMs: number }[] = [];
      const nowMs = performance.now();
      for (let i = 0; i < count; i++) {
        const s = inPtr + i * 48;
        const userdata = mem.u64(s);
        const type = mem.u8(s + 8);
        if (type === EventType.CLOCK) {
          const id = mem.u32(s + 16);
          const timeout = mem.u64(s + 24);
          const flags = mem.u16(s + 40);
          let waitNs: bigint;
          try {
            waitNs = flags & SUBCLOCK_ABSTIME ? timeout - clockNow(c, id) : timeout;
          } catch (e) {
            events.push({ userdata, error: toWasiErrno(e), type, nbytes: 0n, flags: 0 });
            continue;
          }
          const ms = waitNs <= 0n ? 0 : Number(waitNs) / 1e6;
          clocks.push({ userdata, deadlineMs: nowMs + ms });
        } else if (type === EventType.FD_READ || type === EventType.FD_WRITE) {
          fdSubs.push({ userdata, type, fd: mem.u32(s + 16) });
        } else {
          events.push({ userdata, error: WasiErrno.INVAL, type, nbytes: 0n, flags: 0 });
        }
      }
      const deadline = clocks.reduce((d, k) => Math.min(d, k.deadlineMs), Infinity);
      if (events.length === 0) pollFds(c, fdSubs, events, deadline);
      if (events.length === 0 && fdSubs.length === 0) sleepUntil(sleeper, deadline);
      if (events.length === 0) {
        const now = performance.now();
        for (const k of clocks) {
          if (k.deadlineMs <= now + 0.001) {
            events.push({
              userdata: k.userdata,
              error: 0,
              type: EventType.CLOCK,
              nbytes: 0n,
              flags: 0,
            });
          }
        }
      }
      events.forEach((e, i) => {
        const p = outPtr + i * 32;
        mem.zero(p, 32);
        mem.setU64(p, e.userdata);
        mem.setU16(p + 8, e.error);
        mem.setU8(p + 10, e.type);
        mem.setU64(p + 16, e.nbytes);
        mem.setU16(p + 24, e.flags);
      });
      mem.setU32(countPtr, events.length);
      return 0;
    },
  };
}

function sleepUntil(sleeper: Int32Array, deadlineMs: number): void {
  if (deadlineMs === Infinity) throw new WasiError(WasiErrno.INVAL, "would sleep forever");
  for (;;) {
    const left = deadlineMs - performance.now();
    if (left <= 0) return;
    beatWhileBlocked();
    Atomics.wait(sleeper, 0, 0, Math.min(left, BEAT_SLICE_MS));
  }
}

/** Poll the fd subscriptions until one is ready or `deadlineMs` passes; fills `events`. */
function pollFds(c: WasiCtx, subs: FdSub[], events: Ev[], deadlineMs: number): void {
  if (subs.length === 0) return;
  const req: PollFd[] = [];
  const which: FdSub[] = [];
  for (const s of subs) {
    try {
      const e = c.fds.get(s.fd);
      if (e.filetype === Filetype.REGULAR_FILE) {
        events.push(fileReady(c, s));
        continue;
      }
    } catch (err) {
      events.push({
        userdata: s.userdata,
        error: toWasiErrno(err),
        type: s.type,
        nbytes: 0n,
        flags: 0,
      });
      continue;
    }
    req.push({ fd: s.fd, events: s.type === EventType.FD_READ ? POLL.IN : POLL.OUT, revents: 0 });
    which.push(s);
  }
  if (events.length > 0 || req.length === 0) return;
  for (;;) {
    const left = deadlineMs === Infinity
      ? -1
      : Math.max(0, Math.ceil(deadlineMs - performance.now()));
    let ready: number;
    try {
      ready = c.sys.poll(req, left);
    } catch (err) {
      if (err instanceof ErrnoError && err.errno === 4) continue; // EINTR: poll again
      throw err;
    }
    if (ready === 0) return;
    req.forEach((r, i) => {
      if (r.revents === 0) return;
      const s = which[i]!;
      const hup = (r.revents & POLL.HUP) !== 0;
      const err = r.revents & POLL.NVAL ? WasiErrno.BADF : 0;
      events.push({
        userdata: s.userdata,
        error: err,
        type: s.type,
        nbytes: hup ? 0n : 1n,
        flags: hup ? EVENT_FD_READWRITE_HANGUP : 0,
      });
    });
    return;
  }
}

/** A regular file is always ready: reads see the bytes left, writes 0 (unknown room). */
function fileReady(c: WasiCtx, s: FdSub): Ev {
  let nbytes = 0n;
  if (s.type === EventType.FD_READ) {
    const size = c.sys.fstat(s.fd).size;
    const pos = c.sys.lseek(s.fd, 0, 1);
    nbytes = BigInt(Math.max(0, size - pos));
  }
  return { userdata: s.userdata, error: 0, type: s.type, nbytes, flags: 0 };
}
