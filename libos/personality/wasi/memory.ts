/**
 * Guest linear memory seen from the host: every pointer and length the guest passes is checked
 * here against the memory's current size; a bad one throws `WasiError(fault)`, never a host
 * exception. Views are re-created when the memory grows (its buffer changes).
 */
import { WasiErrno } from "./constants.ts";
import { WasiError } from "./errno.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

/** Bounds-checked access to a module's exported `memory`. */
export class GuestMemory {
  #mem: WebAssembly.Memory | null = null;
  #buf: ArrayBufferLike = new ArrayBuffer(0);
  #u8: Uint8Array = new Uint8Array(0);
  #dv: DataView = new DataView(new ArrayBuffer(0));

  /** Attach the instance's memory (before the first call). */
  bind(mem: WebAssembly.Memory): void {
    this.#mem = mem;
    this.#refresh();
  }

  #refresh(): void {
    const buf = this.#mem?.buffer;
    if (!buf) throw new WasiError(WasiErrno.FAULT, "module exports no memory");
    if (buf !== this.#buf || this.#u8.byteLength !== buf.byteLength) {
      this.#buf = buf;
      this.#u8 = new Uint8Array(buf);
      this.#dv = new DataView(buf);
    }
  }

  /** Throws fault unless [ptr, ptr+len) lies inside memory. `ptr`/`len` are raw i32s. */
  check(ptr: number, len: number): number {
    this.#refresh();
    const p = ptr >>> 0;
    const n = len >>> 0;
    if (p + n > this.#u8.byteLength) {
      throw new WasiError(WasiErrno.FAULT, `guest range ${p}+${n} outside memory`);
    }
    return p;
  }

  /** A live view of guest bytes [ptr, ptr+len). */
  bytes(ptr: number, len: number): Uint8Array {
    const p = this.check(ptr, len);
    return this.#u8.subarray(p, p + (len >>> 0));
  }

  /** Guest bytes as UTF-8 text; invalid UTF-8 → ilseq. */
  string(ptr: number, len: number): string {
    const b = this.bytes(ptr, len);
    try {
      return utf8.decode(b);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      throw new WasiError(WasiErrno.ILSEQ, "path is not UTF-8");
    }
  }

  u8(ptr: number): number {
    const p = this.check(ptr, 1);
    return this.#dv.getUint8(p);
  }
  u16(ptr: number): number {
    const p = this.check(ptr, 2);
    return this.#dv.getUint16(p, true);
  }
  u32(ptr: number): number {
    const p = this.check(ptr, 4);
    return this.#dv.getUint32(p, true);
  }
  u64(ptr: number): bigint {
    const p = this.check(ptr, 8);
    return this.#dv.getBigUint64(p, true);
  }
  setU8(ptr: number, v: number): void {
    const p = this.check(ptr, 1); // refresh the view first
    this.#dv.setUint8(p, v);
  }
  setU16(ptr: number, v: number): void {
    const p = this.check(ptr, 2); // refresh the view first
    this.#dv.setUint16(p, v, true);
  }
  setU32(ptr: number, v: number): void {
    const p = this.check(ptr, 4); // refresh the view first
    this.#dv.setUint32(p, v, true);
  }
  setU64(ptr: number, v: bigint | number): void {
    const p = this.check(ptr, 8); // refresh the view first
    this.#dv.setBigUint64(p, BigInt.asUintN(64, BigInt(v)), true);
  }

  /** Zero [ptr, ptr+len) (after checking it). */
  zero(ptr: number, len: number): void {
    this.bytes(ptr, len).fill(0);
  }

  /**
   * The buffers of an iovec/ciovec array (`{buf: u32, buf_len: u32}` × count), all checked
   * before any is used.
   */
  iovecs(ptr: number, count: number): Uint8Array[] {
    const n = count >>> 0;
    this.check(ptr, n * 8);
    const base = ptr >>> 0;
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const buf = this.#dv.getUint32(base + i * 8, true);
      const len = this.#dv.getUint32(base + i * 8 + 4, true);
      out.push(this.bytes(buf, len));
    }
    // bytes() may have refreshed the views; all subarrays refer to the same live buffer.
    return out;
  }

  /** Write `text` NUL-terminated at `ptr`; returns the bytes written (with the NUL). */
  cstring(ptr: number, text: string): number {
    const b = enc.encode(text);
    const dst = this.bytes(ptr, b.length + 1);
    dst.set(b);
    dst[b.length] = 0;
    return b.length + 1;
  }
}

/** UTF-8 byte length of a string. */
export function utf8Length(s: string): number {
  return enc.encode(s).length;
}

/** UTF-8 bytes of a string. */
export function utf8Bytes(s: string): Uint8Array {
  return enc.encode(s);
}
