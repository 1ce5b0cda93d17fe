/**
 * File contents of the in-memory file system: fixed-size chunks allocated on first write, so
 * holes (and a file truncated upwards) cost no memory. Space limits are the caller's job.
 * @module
 */

/** Chunk size in bytes. */
export const CHUNK_BYTES = 64 * 1024;

/** The bytes of one tmpfs file. Missing chunks read as zeros. */
export class ChunkedBytes {
  #chunks: (Uint8Array | undefined)[] = [];
  #size = 0;

  /** Logical size in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Copy bytes at `pos` into `buf`; returns the count (0 at or past the end). */
  read(buf: Uint8Array, pos: number): number {
    const n = Math.max(0, Math.min(buf.length, this.#size - pos));
    let done = 0;
    while (done < n) {
      const at = pos + done;
      const ci = Math.floor(at / CHUNK_BYTES);
      const off = at - ci * CHUNK_BYTES;
      const len = Math.min(CHUNK_BYTES - off, n - done);
      const chunk = this.#chunks[ci];
      if (chunk) buf.set(chunk.subarray(off, off + len), done);
      else buf.fill(0, done, done + len);
      done += len;
    }
    return n;
  }

  /** Write all of `buf` at `pos`, growing the file. Before: the caller checked the space. */
  write(buf: Uint8Array, pos: number): void {
    let done = 0;
    while (done < buf.length) {
      const at = pos + done;
      const ci = Math.floor(at / CHUNK_BYTES);
      const off = at - ci * CHUNK_BYTES;
      const len = Math.min(CHUNK_BYTES - off, buf.length - done);
      let chunk = this.#chunks[ci];
      if (!chunk) {
        chunk = new Uint8Array(CHUNK_BYTES);
        this.#chunks[ci] = chunk;
      }
      chunk.set(buf.subarray(done, done + len), off);
      done += len;
    }
    this.#size = Math.max(this.#size, pos + buf.length);
  }

  /** Set the size; bytes past a shrunk end are dropped, so growing again reads zeros. */
  truncate(len: number): void {
    if (len < this.#size) {
      const keep = Math.ceil(len / CHUNK_BYTES);
      this.#chunks.length = Math.min(this.#chunks.length, keep);
      const tail = len % CHUNK_BYTES;
      const last = this.#chunks[keep - 1];
      if (tail !== 0 && last) last.fill(0, tail);
    }
    this.#size = len;
  }
}
