/** Conformance cases about file data: open flags, reads, writes, append, truncate. @module */
import assert from "node:assert/strict";
import { PalCode, PalError } from "../../pal/errors.ts";
import {
  assertPal,
  bytes,
  type FsCase,
  readAll,
  readText,
  writeText,
} from "./fs_conformance_util.ts";

const dec = new TextDecoder();

/** File-data cases. */
export const FILE_CASES: FsCase[] = [
  {
    name: "create, write and read a file",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("open without create of a missing file is NOT_FOUND", () => {
        assertPal(() => fs.open("nope", { read: true }, 0), PalCode.NOT_FOUND);
      });
      await t.step("created file reads back what was written", () => {
        writeText(fs, "hello.txt", "hello, world");
        assert.equal(readText(fs, "hello.txt"), "hello, world");
        const st = fs.lstat("hello.txt");
        assert.equal(st.type, "file");
        assert.equal(st.size, 12);
        assert.equal(st.nlink, 1);
      });
      await t.step("mode bits are kept", () => {
        fs.open("m", { write: true, create: true }, 0o600).close();
        assert.equal(fs.lstat("m").mode & 0o777, 0o600);
      });
      await t.step("truncate flag empties the file", () => {
        const f = fs.open("hello.txt", { write: true, truncate: true }, 0);
        assert.equal(f.stat().size, 0);
        f.close();
      });
      await t.step("a handle opened read-only refuses writes, write-only refuses reads", () => {
        const r = fs.open("hello.txt", { read: true }, 0);
        assertPal(() => r.pwrite(bytes("x"), 0), PalCode.BAD_HANDLE);
        r.close();
        const w = fs.open("hello.txt", { write: true }, 0);
        assertPal(() => w.pread(new Uint8Array(1), 0), PalCode.BAD_HANDLE);
        w.close();
        assertPal(() => w.stat(), PalCode.BAD_HANDLE);
        w.close(); // closing twice is harmless
      });
    },
  },
  {
    name: "pread and pwrite at offsets",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      const f = fs.open("f", { read: true, write: true, create: true }, 0o644);
      await t.step("pwrite past the end fills the gap with zeros", () => {
        assert.equal(f.pwrite(bytes("abc"), 5), 3);
        assert.equal(f.stat().size, 8);
        const buf = new Uint8Array(8);
        assert.equal(f.pread(buf, 0), 8);
        assert.deepEqual([...buf], [0, 0, 0, 0, 0, 97, 98, 99]);
      });
      await t.step("pread at and past the end returns 0; short read at the tail", () => {
        assert.equal(f.pread(new Uint8Array(4), 8), 0);
        assert.equal(f.pread(new Uint8Array(4), 100), 0);
        assert.equal(f.pread(new Uint8Array(4), 6), 2);
      });
      await t.step("pwrite overwrites in place", () => {
        f.pwrite(bytes("XY"), 6);
        assert.equal(readAll(f).length, 8);
        const buf = new Uint8Array(3);
        f.pread(buf, 5);
        assert.equal(dec.decode(buf), "aXY");
      });
      await t.step("writes across 64 KiB chunk boundaries read back", () => {
        const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
        f.pwrite(big, 65_000);
        const back = new Uint8Array(big.length);
        assert.equal(f.pread(back, 65_000), big.length);
        assert.deepEqual(back, big);
      });
      await t.step("negative or fractional offsets are INVAL", () => {
        assertPal(() => f.pread(new Uint8Array(1), -1), PalCode.INVAL);
        assertPal(() => f.pwrite(bytes("x"), 1.5), PalCode.INVAL);
      });
      f.close();
    },
  },
  {
    name: "append writes at the end",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      writeText(fs, "log", "one\n");
      const a = fs.open("log", { write: true }, 0);
      const b = fs.open("log", { read: true, write: true }, 0);
      await t.step("two handles appending interleave whole writes", () => {
        a.append(bytes("two\n"));
        b.append(bytes("three\n"));
        a.append(bytes("four\n"));
        assert.equal(readAll(b), "one\ntwo\nthree\nfour\n");
      });
      a.close();
      b.close();
    },
  },
  {
    name: "truncate by path and by handle",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      writeText(fs, "f", "0123456789");
      await t.step("shrink then grow reads zeros in the new part", () => {
        fs.truncate("f", 4);
        assert.equal(fs.lstat("f").size, 4);
        fs.truncate("f", 6);
        const f = fs.open("f", { read: true, write: true }, 0);
        const buf = new Uint8Array(6);
        f.pread(buf, 0);
        assert.deepEqual([...buf], [48, 49, 50, 51, 0, 0]);
        f.truncate(1);
        assert.equal(f.stat().size, 1);
        f.close();
      });
      await t.step("truncate of a directory is IS_DIR; of a missing file NOT_FOUND", () => {
        fs.mkdir("d", 0o755);
        assertPal(() => fs.truncate("d", 0), PalCode.IS_DIR);
        assertPal(() => fs.truncate("missing", 0), PalCode.NOT_FOUND);
      });
    },
  },
  {
    name: "O_EXCL and O_DIRECTORY",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("create+excl fails with EXISTS on an existing file", () => {
        fs.open("x", { write: true, create: true, excl: true }, 0o644).close();
        assertPal(
          () => fs.open("x", { write: true, create: true, excl: true }, 0o644),
          PalCode.EXISTS,
        );
      });
      await t.step("directory flag on a file is NOT_DIR", () => {
        assertPal(() => fs.open("x", { read: true, directory: true }, 0), PalCode.NOT_DIR);
      });
      await t.step("a directory opens for reading, not for writing", () => {
        fs.mkdir("d", 0o755);
        const d = fs.open("d", { read: true, directory: true }, 0);
        assert.equal(d.stat().type, "dir");
        assertPal(() => d.pread(new Uint8Array(1), 0), PalCode.IS_DIR);
        d.close();
        assertPal(() => fs.open("d", { write: true }, 0), PalCode.IS_DIR);
        assert.equal(fs.open("", { read: true }, 0).stat().type, "dir");
      });
      await t.step("a file used as a directory is NOT_DIR", () => {
        assertPal(() => fs.open("x/y", { read: true }, 0), PalCode.NOT_DIR);
        assertPal(() => fs.lstat("x/y"), PalCode.NOT_DIR);
      });
    },
  },
  {
    name: "chmod sets permission bits, follows a final link, refuses bad modes",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      writeText(fs, "f", "x");
      fs.mkdir("d", 0o755);
      await t.step("the bits show in lstat, for a file and a directory", () => {
        fs.chmod("f", 0o640);
        assert.equal(fs.lstat("f").mode & 0o777, 0o640);
        fs.chmod("d", 0o700);
        assert.equal(fs.lstat("d").mode & 0o777, 0o700);
        fs.chmod("d", 0o755);
        assert.equal(readText(fs, "f"), "x");
      });
      await t.step("a final symlink is SYMLINK: the caller follows it", () => {
        fs.symlink("f", "l");
        const e = assertPal(() => fs.chmod("l", 0o600), PalCode.SYMLINK);
        assert.equal((e.detail as { target: string }).target, "f");
        assert.equal(fs.lstat("f").mode & 0o777, 0o640);
      });
      await t.step("a missing file is NOT_FOUND; a bad mode INVAL", () => {
        assertPal(() => fs.chmod("missing", 0o600), PalCode.NOT_FOUND);
        for (const m of [-1, 0o10000, 1.5, NaN, "644"]) {
          assertPal(() => fs.chmod("f", m as number), PalCode.INVAL);
        }
      });
      await t.step("a file never gets the sticky bit (it marks emulated links and FIFOs)", () => {
        fs.chmod("f", 0o1444);
        assert.equal(fs.lstat("f").mode & 0o1000, 0);
        assert.equal(fs.lstat("f").type, "file");
        assert.equal(readText(fs, "f"), "x");
      });
    },
  },
  {
    name: "utimes sets and keeps times",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      writeText(fs, "f", "x");
      await t.step("both times set", () => {
        fs.utimes("f", 1_000_000, 2_000_000);
        const st = fs.lstat("f");
        assert.equal(st.atimeMs, 1_000_000);
        assert.equal(st.mtimeMs, 2_000_000);
      });
      await t.step("null leaves a time unchanged", () => {
        fs.utimes("f", null, 3_000_000);
        const st = fs.lstat("f");
        assert.equal(st.atimeMs, 1_000_000);
        assert.equal(st.mtimeMs, 3_000_000);
      });
      await t.step("a write moves mtime forward", () => {
        const f = fs.open("f", { write: true }, 0);
        f.pwrite(bytes("y"), 0);
        f.close();
        assert.ok(fs.lstat("f").mtimeMs > 3_000_000);
      });
      await t.step("non-finite times are INVAL", () => {
        assertPal(() => fs.utimes("f", NaN, null), PalCode.INVAL);
      });
    },
  },
  {
    name: "utimesNs keeps nanoseconds; nofollow sets a link's own times",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      writeText(fs, "f", "x");
      const a = 1_795_270_183_703_999_900n;
      const m = 1_700_000_000_123_456_789n;
      await t.step("exact ns come back from lstat and from an open file's stat", () => {
        fs.utimesNs("f", a, m);
        const st = fs.lstat("f");
        assert.equal(st.atimeNs, String(a));
        assert.equal(st.mtimeNs, String(m));
        assert.equal(Math.floor(st.mtimeMs), 1_700_000_000_123);
        const f = fs.open("f", { read: true }, 0);
        assert.equal(f.stat().mtimeNs, String(m));
        f.close();
      });
      await t.step("null keeps the other time exactly", () => {
        fs.utimesNs("f", null, m - 100n);
        const st = fs.lstat("f");
        assert.equal(st.atimeNs, String(a));
        assert.equal(st.mtimeNs, String(m - 100n));
      });
      await t.step("ms utimes reports whole-ms ns", () => {
        fs.utimes("f", 1_000_000, 2_000_000);
        assert.equal(fs.lstat("f").mtimeNs, "2000000000000");
      });
      await t.step("a write replaces the set mtime", () => {
        const f = fs.open("f", { write: true }, 0);
        f.pwrite(bytes("y"), 0);
        f.close();
        assert.ok(BigInt(fs.lstat("f").mtimeNs ?? "0") > 2_000_000_000_000n);
      });
      await t.step("ns out of range are INVAL", () => {
        assertPal(() => fs.utimesNs("f", -1n, null), PalCode.INVAL);
        assertPal(() => fs.utimesNs("f", null, 1n << 64n), PalCode.INVAL);
      });
      await t.step("a final symlink: SYMLINK, or with nofollow its own times", () => {
        fs.symlink("f", "l");
        assertPal(() => fs.utimesNs("l", m, m), PalCode.SYMLINK);
        try {
          fs.utimesNs("l", a, m, true);
        } catch (e) {
          // A real host symlink on a chroot mount: Deno has no lutimes.
          assert.ok(e instanceof PalError && e.code === PalCode.NOT_SUPPORTED, String(e));
          return;
        }
        assert.equal(fs.lstat("l").mtimeNs, String(m));
        assert.equal(fs.lstat("l").type, "symlink");
        assert.notEqual(fs.lstat("f").mtimeNs, String(m));
      });
    },
  },
  {
    name: "statfs reports space",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("used never exceeds total when total is known", () => {
        writeText(fs, "f", "x".repeat(1000));
        const s = fs.statfs();
        assert.ok(s.usedBytes >= 0 && s.totalBytes >= 0);
        if (s.totalBytes > 0) assert.ok(s.usedBytes <= s.totalBytes);
      });
    },
  },
];
