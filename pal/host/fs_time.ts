/**
 * Nanosecond file times for the host backends. `FileStat` carries ms doubles (about 0.25 µs
 * resolution at today's dates) and, as decimal strings, exact ns (`atimeNs`, `mtimeNs`,
 * `ctimeNs`: JSON has no bigint). Setting goes through `FsBackend.utimesNs`.
 *
 * Deno sets and reads host file times in whole ms only (`Deno.utimeSync` and `node:fs`
 * `utimesSync` round to the ms, `lstatSync` and `statSync(p, {bigint: true})` report ms), so
 * `ChrootFs` stores the ms on the host and remembers the exact ns it was asked for in a
 * {@link TimeMemo}: reported while the host still shows the ms it set.
 * @module
 */
import { PalCode, PalError } from "../errors.ts";

const NS_PER_MS = 1_000_000n;
const MAX_NS = (1n << 64n) - 1n;

/** `String(nsOfMs(ms))`; whole positive ms (what a host stat reports) without BigInt math. */
function nsTextOfMs(ms: number): string {
  return Number.isSafeInteger(ms) && ms > 0 ? `${ms}000000` : String(nsOfMs(ms));
}

/** Exact ns of a ms double (the fraction rounded to the ns). */
export function nsOfMs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
}

/** The ms double nearest to `ns` (what `FileStat.*Ms` carries). */
export function msOfNs(ns: bigint): number {
  const whole = ns / NS_PER_MS;
  return Number(whole) + Number(ns - whole * NS_PER_MS) / 1e6;
}

/** The whole ms of `ns` (rounded down): what a ms-only host stores. */
export function floorMsOfNs(ns: bigint): number {
  return Number(ns / NS_PER_MS);
}

/**
 * Validate a guest-supplied time in ns: a bigint, or a decimal string (from JSON), in
 * [0, 2^64); null means "leave unchanged".
 * @throws {PalError} INVAL
 */
export function checkTimeNs(t: unknown): bigint | null {
  if (t === null) return null;
  let v: bigint;
  if (typeof t === "bigint") v = t;
  else if (typeof t === "string" && /^[0-9]{1,20}$/.test(t)) v = BigInt(t);
  else throw new PalError(PalCode.INVAL, "time must be ns as a decimal string");
  if (v < 0n || v > MAX_NS) throw new PalError(PalCode.INVAL, "time out of range");
  return v;
}

/** The ns fields of a `FileStat` for ms times, with exact ns where known. */
export function nsFields(
  ms: { atimeMs: number; mtimeMs: number; ctimeMs: number },
  exact: { atime?: bigint | undefined; mtime?: bigint | undefined } = {},
): { atimeNs: string; mtimeNs: string; ctimeNs: string } {
  return {
    atimeNs: exact.atime !== undefined ? String(exact.atime) : nsTextOfMs(ms.atimeMs),
    mtimeNs: exact.mtime !== undefined ? String(exact.mtime) : nsTextOfMs(ms.mtimeMs),
    ctimeNs: nsTextOfMs(ms.ctimeMs),
  };
}

/** What a ms-only host was told, per object: exact ns valid while the host shows their ms. */
export class TimeMemo {
  readonly #byObject = new Map<string, { atime: bigint; mtime: bigint }>();

  /** @param limit how many objects to remember (the oldest is forgotten first) */
  constructor(readonly limit = 4096) {}

  /** Record that the object `dev`/`ino` was given these times. */
  remember(dev: number, ino: number, atime: bigint, mtime: bigint): void {
    const key = `${dev}:${ino}`;
    this.#byObject.delete(key);
    this.#byObject.set(key, { atime, mtime });
    if (this.#byObject.size > this.limit) {
      const oldest = this.#byObject.keys().next();
      if (!oldest.done) this.#byObject.delete(oldest.value);
    }
  }

  /** The exact times of an object whose host stat shows `atimeMs`/`mtimeMs`, where valid. */
  exact(
    dev: number,
    ino: number,
    atimeMs: number,
    mtimeMs: number,
  ): { atime?: bigint; mtime?: bigint } {
    const m = this.#byObject.get(`${dev}:${ino}`);
    if (!m) return {};
    const out: { atime?: bigint; mtime?: bigint } = {};
    if (floorMsOfNs(m.atime) === atimeMs) out.atime = m.atime;
    if (floorMsOfNs(m.mtime) === mtimeMs) out.mtime = m.mtime;
    if (out.atime === undefined && out.mtime === undefined) this.#byObject.delete(`${dev}:${ino}`);
    return out;
  }
}
