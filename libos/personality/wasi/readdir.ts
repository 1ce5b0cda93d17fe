/**
 * fd_readdir's packing: `dirent` headers (24 bytes: d_next u64, d_ino u64, d_namlen u32,
 * d_type u8) each followed by the name, cut off where the buffer ends (a full buffer tells the
 * guest to call again from the last whole entry's cookie).
 *
 * Cookies: 0 = start, 1 = after ".", 2 = after "..", 2 + k = after the libOS entry whose
 * `next` is k. "." and ".." are always listed, whether or not the libOS lists them, both with
 * the directory's inode.
 */
import { ErrnoError } from "../../errno.ts";
import { Filetype } from "./constants.ts";
import type { WasiCtx } from "./ctx.ts";
import { filetypeOf } from "./fds.ts";
import { utf8Bytes } from "./memory.ts";

const HEADER = 24;

/** Fill `out` with entries of directory `fd` after `cookie`; returns the bytes used. */
export function readdirInto(c: WasiCtx, fd: number, out: Uint8Array, cookie: bigint): number {
  let used = 0;
  const put = (next: bigint, ino: number, type: number, name: string): boolean => {
    const nb = utf8Bytes(name);
    const head = new Uint8Array(HEADER);
    const hv = new DataView(head.buffer);
    hv.setBigUint64(0, next, true);
    hv.setBigUint64(8, BigInt(ino), true);
    hv.setUint32(16, nb.length, true);
    hv.setUint8(20, type);
    const rec = new Uint8Array(HEADER + nb.length);
    rec.set(head);
    rec.set(nb, HEADER);
    const k = Math.min(rec.length, out.length - used);
    out.set(rec.subarray(0, k), used);
    used += k;
    return used < out.length;
  };
  if (cookie <= 1n) {
    // ".." carries the directory's own inode (as wasmtime): never 0, since wasi-libc fstatat()s
    // an entry whose d_ino is 0 and fails the whole readdir when that fails, and ".." is beyond
    // the fd (notcapable). Its real parent may be outside what the guest was given.
    const ino = c.sys.fstat(fd).ino;
    if (cookie === 0n && !put(1n, ino, Filetype.DIRECTORY, ".")) return used;
    if (!put(2n, ino, Filetype.DIRECTORY, "..")) return used;
  }
  let sysCookie = cookie <= 2n ? 0 : Number(cookie - 2n);
  for (;;) {
    const { entries, eof } = c.sys.readdir(fd, sysCookie);
    for (const d of entries) {
      sysCookie = d.next;
      if (d.name === "." || d.name === "..") continue;
      if (!put(BigInt(d.next) + 2n, d.ino, entryType(c, fd, d.name, d.type), d.name)) return used;
    }
    if (eof || entries.length === 0) return used;
  }
}

/** The WASI type of an entry; the libOS may not know it (type 0), then it is looked up. */
function entryType(c: WasiCtx, fd: number, name: string, type: number): number {
  if (type !== 0) return filetypeOf(type);
  try {
    return filetypeOf(c.sys.fstatat(fd, name, 0x100, { beneath: true }).mode);
  } catch (e) {
    if (!(e instanceof ErrnoError)) throw e;
    return Filetype.UNKNOWN; // raced with an unlink: the entry is gone, its type unknown
  }
}
