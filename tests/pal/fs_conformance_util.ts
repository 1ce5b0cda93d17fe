/** Shared types and helpers of the file-system conformance suite. @module */
import assert from "node:assert/strict";
import { palCodeName, type PalCodeValue, PalError } from "../../pal/errors.ts";
import type { FsBackend, FsFile } from "../../pal/host/fs_types.ts";

/** A backend under test and how to dispose of it. */
export interface FsFixture {
  fs: FsBackend;
  cleanup: () => void | Promise<void>;
}

/** Makes a fresh empty backend; read-only backends may be empty too. */
export type FsMaker = (o: { readonly: boolean }) => Promise<FsFixture>;

/** One named case; `make` gives fresh backends cleaned up after the case. */
export interface FsCase {
  name: string;
  run: (
    t: Deno.TestContext,
    make: (o: { readonly: boolean }) => Promise<FsBackend>,
  ) => Promise<void>;
}

/** Assert that `fn` throws a `PalError` with one of `codes`; returns it. */
export function assertPal(fn: () => unknown, ...codes: PalCodeValue[]): PalError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PalError)) throw e;
    assert.ok(
      codes.includes(e.code),
      `expected ${codes.map(palCodeName).join("|")}, got ${palCodeName(e.code)}: ${e.message}`,
    );
    return e;
  }
  assert.fail(`expected PalError ${codes.map(palCodeName).join("|")}, nothing was thrown`);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** UTF-8 bytes of `s`. */
export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

/** Create (or replace) file `p` holding `text`. */
export function writeText(fs: FsBackend, p: string, text: string): void {
  const f = fs.open(p, { write: true, create: true, truncate: true }, 0o644);
  try {
    f.pwrite(bytes(text), 0);
  } finally {
    f.close();
  }
}

/** Read all of open file `f` as text. */
export function readAll(f: FsFile): string {
  const size = f.stat().size;
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = f.pread(buf.subarray(got), got);
    if (n === 0) break;
    got += n;
  }
  return dec.decode(buf.subarray(0, got));
}

/** Read file `p` as text. */
export function readText(fs: FsBackend, p: string): string {
  const f = fs.open(p, { read: true }, 0);
  try {
    return readAll(f);
  } finally {
    f.close();
  }
}

/** Names in directory `p`, in the backend's order. */
export function names(fs: FsBackend, p: string): string[] {
  return fs.readdir(p).map((e) => e.name);
}
