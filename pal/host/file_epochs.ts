/**
 * The host's side of the file epoch table (`fileEpochs` in ring.ts): which word a file owns and
 * the bumps that tell guests a file's content changed. A guest's read-ahead (libos/vfs/
 * readahead.ts) stays valid only while the words it noted are unchanged.
 * @module
 */
import { EPOCH_WORDS, fileEpochs } from "../ring.ts";

/** The epoch words of one sandbox. */
export class FileEpochs {
  readonly #words: Int32Array;

  /** @param doorbell the sandbox's doorbell (created by `createDoorbell`) */
  constructor(doorbell: SharedArrayBuffer) {
    const w = fileEpochs(doorbell);
    if (!w) throw new RangeError("the doorbell has no file epoch table");
    this.#words = w;
  }

  /** The word (1 … EPOCH_WORDS-1) of the file with identity `dev`/`ino`. Files that share a
   * word only cost each other read-ahead, never correctness. */
  keyOf(st: { readonly dev: number; readonly ino: number }): number {
    const h = Math.imul((st.dev >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ (st.ino >>> 0) ^
      Math.floor(st.ino / 0x100000000);
    return 1 + ((Math.imul(h, 0xc2b2ae35) >>> 0) % (EPOCH_WORDS - 1));
  }

  /** The current value of word `key`. */
  value(key: number): number {
    return Atomics.load(this.#words, key);
  }

  /** The content of the file owning word `key` is about to change. */
  bump(key: number): void {
    Atomics.add(this.#words, key, 1);
  }

  /** Every read-ahead in the sandbox is void (a handle was revoked). */
  bumpAll(): void {
    Atomics.add(this.#words, 0, 1);
  }
}
