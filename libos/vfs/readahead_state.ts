/**
 * The shapes and limits of a thread's read cache (libos/vfs/readahead.ts): its blocks, the
 * blocks it keeps, the handles it follows, and the bounds it puts on what the host answers.
 * @module
 */

/** Bytes of a block; blocks start at multiples of it in the file (≤ the host's MAX_PREFETCH). */
export const BLOCK = 512 << 10;
/** Reads at least this large read through the cache; smaller ones go to the host on a miss
 * and are read ahead of once they come in a row. */
export const FILL = 256 << 10;
/** A new handle's first read looks its file up in the cache (a host call for the version) only
 * if it is at least this large and the thread has kept blocks of a file by that name before. */
export const MIN_LOOKUP = 16 << 10;
/** The first read-ahead reaches this far past the reader, doubling with each read in a row. */
export const FIRST = 128 << 10;
/** Blocks a sequential reader is read ahead of, at most. */
export const MAX_AHEAD = 4;
/** Handles whose reads are followed (the oldest is forgotten first). */
export const MAX_STREAMS = 64;
/** After this many blocks voided by writes, a handle stops reading ahead. */
export const MAX_VOIDED = 4;
/** Prefetches in flight at once: each holds an asynchronous slot of the call page until it is
 * settled, and the rest must stay free for the thread's asynchronous calls. */
export const MAX_POSTED = 2;
/** File versions (and names) remembered; past it the cache starts over. */
export const MAX_FILES = 4096;
/** Largest version string the guest accepts from the host. */
export const MAX_VERSION = 256;
/** Largest staging buffer the guest accepts from the host. */
export const MAX_BUFFER = 64 << 20;
/** Largest budget of kept blocks the guest accepts from the host. */
export const MAX_KEEP = 1 << 30;

export interface Block {
  /** Offset of the block in the cache buffer. */
  readonly base: number;
  /** Slot of the prefetch in flight, or -1. */
  slot: number;
  /** Handle the prefetch in flight reads through (-1: none in flight). */
  h: number;
  /** File version the block holds bytes of (-1: free). */
  fid: number;
  /** Block number in the file. */
  idx: number;
  /** Bytes the host read (valid once `slot` is -1). */
  n: number;
  key: number;
  epoch: number;
  all: number;
  /** When it was last posted or read (for least-recently-used replacement). */
  used: number;
}

/** A block moved into the thread's memory. */
export interface Kept {
  readonly data: Uint8Array;
  readonly n: number;
  readonly key: number;
  readonly epoch: number;
  readonly all: number;
}

export const isInt32 = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) === ((v as number) | 0);

/** Key of block `idx` of file version `fid` in the thread's maps. */
export const blockId = (fid: number, idx: number) => fid * 2 ** 32 + idx;

export interface Stream {
  /** Where the next sequential read starts. */
  next: number;
  /** Sequential reads in a row. */
  streak: number;
  /** File version (-2 unknown, -1 not cacheable). */
  fid: number;
  /** Epoch word. */
  key: number;
  voided: number;
  /** Block the handle last read from staging (-1: none). */
  lastIdx: number;
  /** The file's URI (by which a later handle may find its blocks). */
  readonly uri: string;
  /** The file's size as its version said (-1 unknown), valid while the epoch words keep
   * `sizeEpoch` (the file's, as the host read it with the size) and `sizeAll` (word 0). */
  size: number;
  sizeEpoch: number;
  sizeAll: number;
  /** Position at which a read found nothing and was answered end-of-file here (-1: none). */
  eofAt: number;
  /** Block whose read-ahead `after` has planned in full, `plannedAhead` blocks far (-1: none):
   * the reader's next reads in it need no new plan unless the reach grew. */
  planned: number;
  plannedAhead: number;
}
