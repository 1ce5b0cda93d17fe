/**
 * Pipes between picoprocesses, registered with the host. The ring (pal/pipe_ring.ts) is shared
 * memory the guests read and write directly; the host owns only the *endpoint counts*: it opens
 * an end for every process it gives one to (pipe_create, process_create fd actions) and closes it
 * when the process closes it (pipe_close) or dies without closing — so a reader sees EOF when the
 * last writer is gone, however it went, and a writer gets EPIPE when the last reader is gone.
 *
 * Per-process record: ring id → how many read and write ends that process holds.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { PipeReader, PipeWriter } from "../../pal/pipe_ends.ts";
import { PipeRing } from "../../pal/pipe_ring.ts";

/** Which end. */
export type PipeEnd = "read" | "write";
/** One end, or one of each (a FIFO opened O_RDWR: one fd holding both). */
export type PipeSide = PipeEnd | "both";

function endsOf(side: PipeSide): readonly PipeEnd[] {
  return side === "both" ? ["read", "write"] : [side];
}

interface Held {
  read: (PipeReader)[];
  write: (PipeWriter)[];
}

/** The sandbox's registry of shared pipes. */
export class HostPipes {
  readonly #rings = new Map<number, PipeRing>();
  /** pid → ring id → ends held. */
  readonly #held = new Map<number, Map<number, Held>>();
  #nextId = 1;

  /** A new ring; `pid` holds one read and one write end. @returns [id, the ring's buffer] */
  create(pid: number, capacityBytes: number): [number, SharedArrayBuffer] {
    const [id, sab] = this.createBare(capacityBytes);
    this.give(pid, id, "both");
    return [id, sab];
  }

  /**
   * A new ring nobody holds yet (named pipes, FIFOs): give it ends at once — a ring is
   * forgotten when its last end is closed. @returns [id, the ring's buffer]
   */
  createBare(capacityBytes: number): [number, SharedArrayBuffer] {
    let cap = 4096;
    while (cap < capacityBytes && cap < 1 << 24) cap *= 2;
    const ring = PipeRing.create(cap);
    const id = this.#nextId++;
    this.#rings.set(id, ring);
    return [id, ring.sab];
  }

  /** Whether `pid` holds an end `side` of ring `id` (with "both": one of each). */
  holds(pid: number, id: number, side: PipeSide): boolean {
    const h = this.#held.get(pid)?.get(id);
    return h !== undefined && endsOf(side).every((e) => h[e].length > 0);
  }

  /** Open one more `side` end (or one of each) of ring `id` for `pid`. @returns the buffer */
  give(pid: number, id: number, side: PipeSide): SharedArrayBuffer {
    const ring = this.#rings.get(id);
    if (!ring) throw new PalError(PalCode.BAD_HANDLE, `no pipe ${id}`);
    let byRing = this.#held.get(pid);
    if (!byRing) this.#held.set(pid, byRing = new Map());
    let h = byRing.get(id);
    if (!h) byRing.set(id, h = { read: [], write: [] });
    for (const e of endsOf(side)) {
      if (e === "read") h.read.push(ring.openReader());
      else h.write.push(ring.openWriter());
    }
    return ring.sab;
  }

  /** `pid` closes one `end` of ring `id`. @throws {PalError} BAD_HANDLE when it holds none */
  close(pid: number, id: number, end: PipeEnd): void {
    const h = this.#held.get(pid)?.get(id);
    const ep = h?.[end].pop();
    if (!h || !ep) {
      throw new PalError(PalCode.BAD_HANDLE, `pid ${pid} holds no ${end} end of ${id}`);
    }
    ep.close();
    this.#gc(pid, id, h);
  }

  /** `pid` died: close every end it still held (freeing a ring lock it may have died holding). */
  dropProcess(pid: number): void {
    const byRing = this.#held.get(pid);
    this.#held.delete(pid);
    if (!byRing) return;
    for (const [id, h] of byRing) {
      const ring = this.#rings.get(id);
      if (!ring) continue;
      for (const ep of [...h.read, ...h.write]) ep.close();
      // The dead process may have died inside a read or write holding that side's lock.
      if (h.read.length > 0) ring.forceClose("readers", 0);
      if (h.write.length > 0) ring.forceClose("writers", 0);
      h.read.length = 0;
      h.write.length = 0;
      this.#gc(pid, id, h);
    }
  }

  /**
   * exec: forget the ends `pid` holds now, but keep them open until the returned function runs
   * (after the new program was given the ends it keeps), so no ring sees a spurious EOF.
   */
  detachProcess(pid: number): () => void {
    const byRing = this.#held.get(pid);
    this.#held.delete(pid);
    return () => {
      for (const [id, h] of byRing ?? []) {
        for (const ep of [...h.read, ...h.write]) ep.close();
        h.read.length = 0;
        h.write.length = 0;
        const still = [...this.#held.values()].some((other) => other.has(id));
        if (!still) this.#rings.delete(id);
      }
    };
  }

  /** Rings still open (tests). */
  get size(): number {
    return this.#rings.size;
  }

  #gc(pid: number, id: number, h: Held): void {
    if (h.read.length === 0 && h.write.length === 0) this.#held.get(pid)?.delete(id);
    for (const byRing of this.#held.values()) if (byRing.has(id)) return;
    this.#rings.delete(id);
  }
}
