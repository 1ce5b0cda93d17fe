/**
 * Shared memory segments of a sandbox (MAP_SHARED regions): calls vma_segment and
 * vma_segment_drop in proc_handlers.ts.
 * @module
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import { PAGE_SIZE } from "../../pal/vma.ts";
import type { HostProc } from "./proc.ts";

/**
 * The shared memory segments of a sandbox (MAP_SHARED regions, pal/vma_shared.ts): the host makes
 * each SAB and remembers which processes map it, so a fork child gets the same memory as its
 * parent and a process can only reach segments it made or inherited. Their bytes together stay
 * under `sys.vma_quota`; a segment goes when its last holder drops it, ends or execs.
 */
export class Segments {
  readonly #segs = new Map<number, { sab: SharedArrayBuffer; holders: Set<HostProc> }>();
  #next = 1;
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  /** A new segment of `bytes` held by `p`. @throws {PalError} INVAL, QUOTA */
  create(p: HostProc, bytes: number): [number, SharedArrayBuffer] {
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % PAGE_SIZE !== 0) {
      throw new PalError(PalCode.INVAL, `bad segment size ${bytes}`);
    }
    if (this.#bytes + bytes > this.maxBytes) {
      throw new PalError(PalCode.QUOTA, `sys.vma_quota (${this.maxBytes} bytes) exceeded`);
    }
    const id = this.#next++;
    const sab = new SharedArrayBuffer(bytes);
    this.#segs.set(id, { sab, holders: new Set([p]) });
    this.#bytes += bytes;
    p.segments.add(id);
    return [id, sab];
  }

  /** The SAB of a segment `p` holds. @throws {PalError} BAD_HANDLE */
  held(p: HostProc, id: number): SharedArrayBuffer {
    const s = this.#segs.get(id);
    if (!s || !s.holders.has(p)) throw new PalError(PalCode.BAD_HANDLE, `no segment ${id}`);
    return s.sab;
  }

  /** `child` holds every segment `parent` holds (fork). */
  inherit(parent: HostProc, child: HostProc): void {
    for (const id of parent.segments) {
      this.#segs.get(id)?.holders.add(child);
      child.segments.add(id);
    }
  }

  /** `p` no longer maps segment `id`; the segment goes with its last holder. */
  drop(p: HostProc, id: number): void {
    p.segments.delete(id);
    const s = this.#segs.get(id);
    if (!s || !s.holders.delete(p) || s.holders.size > 0) return;
    this.#segs.delete(id);
    this.#bytes -= s.sab.byteLength;
  }

  /** `p` ended or exec'd: it drops every segment. */
  dropAll(p: HostProc): void {
    for (const id of [...p.segments]) this.drop(p, id);
  }
}
