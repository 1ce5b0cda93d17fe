/** Conformance cases about names: directories, unlink, rename, links, symlinks, inodes. @module */
import assert from "node:assert/strict";
import { PalCode } from "../../pal/errors.ts";
import type { SymlinkDetail } from "../../pal/host/fs_types.ts";
import { assertPal, type FsCase, names, readText, writeText } from "./fs_conformance_util.ts";

/** Name-space cases. */
export const TREE_CASES: FsCase[] = [
  {
    name: "mkdir and rmdir",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("mkdir makes a directory; again is EXISTS", () => {
        fs.mkdir("d", 0o755);
        assert.equal(fs.lstat("d").type, "dir");
        assertPal(() => fs.mkdir("d", 0o755), PalCode.EXISTS);
        assertPal(() => fs.mkdir("no/such", 0o755), PalCode.NOT_FOUND);
      });
      await t.step("rmdir of a non-empty directory is NOT_EMPTY", () => {
        writeText(fs, "d/f", "x");
        assertPal(() => fs.rmdir("d"), PalCode.NOT_EMPTY);
      });
      await t.step("rmdir of a file is NOT_DIR; of the root BUSY; then removes", () => {
        assertPal(() => fs.rmdir("d/f"), PalCode.NOT_DIR);
        assertPal(() => fs.rmdir(""), PalCode.BUSY);
        fs.unlink("d/f");
        fs.rmdir("d");
        assertPal(() => fs.lstat("d"), PalCode.NOT_FOUND);
      });
      await t.step("a parent's nlink counts its subdirectories", () => {
        fs.mkdir("p", 0o755);
        fs.mkdir("p/a", 0o755);
        fs.mkdir("p/b", 0o755);
        assert.equal(fs.lstat("p").nlink, 4);
      });
    },
  },
  {
    name: "unlink",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("unlink removes a file; a directory is IS_DIR; missing NOT_FOUND", () => {
        writeText(fs, "f", "x");
        fs.unlink("f");
        assertPal(() => fs.lstat("f"), PalCode.NOT_FOUND);
        fs.mkdir("d", 0o755);
        assertPal(() => fs.unlink("d"), PalCode.IS_DIR);
        assertPal(() => fs.unlink("f"), PalCode.NOT_FOUND);
      });
      await t.step("an open file stays readable after unlink", () => {
        writeText(fs, "g", "still here");
        const f = fs.open("g", { read: true }, 0);
        fs.unlink("g");
        const buf = new Uint8Array(10);
        assert.equal(f.pread(buf, 0), 10);
        assert.equal(new TextDecoder().decode(buf), "still here");
        f.close();
      });
    },
  },
  {
    name: "rename",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("file over file replaces it", () => {
        writeText(fs, "a", "A");
        writeText(fs, "b", "B");
        const ino = fs.lstat("a").ino;
        fs.rename("a", "b");
        assert.equal(readText(fs, "b"), "A");
        assert.equal(fs.lstat("b").ino, ino);
        assertPal(() => fs.lstat("a"), PalCode.NOT_FOUND);
      });
      await t.step("dir over empty dir replaces it; over non-empty is NOT_EMPTY", () => {
        fs.mkdir("d1", 0o755);
        writeText(fs, "d1/x", "x");
        fs.mkdir("d2", 0o755);
        fs.rename("d1", "d2");
        assert.equal(readText(fs, "d2/x"), "x");
        fs.mkdir("d3", 0o755);
        assertPal(() => fs.rename("d3", "d2"), PalCode.NOT_EMPTY);
      });
      await t.step("into its own subtree is INVAL", () => {
        fs.mkdir("d2/sub", 0o755);
        assertPal(() => fs.rename("d2", "d2/sub/moved"), PalCode.INVAL);
        assertPal(() => fs.rename("d2", "d2/moved"), PalCode.INVAL);
      });
      await t.step("file over dir is IS_DIR; dir over file NOT_DIR", () => {
        assertPal(() => fs.rename("b", "d3"), PalCode.IS_DIR);
        assertPal(() => fs.rename("d3", "b"), PalCode.NOT_DIR);
      });
      await t.step("moves across directories; missing source is NOT_FOUND", () => {
        fs.rename("b", "d2/sub/b");
        assert.equal(readText(fs, "d2/sub/b"), "A");
        assertPal(() => fs.rename("b", "c"), PalCode.NOT_FOUND);
        assertPal(() => fs.rename("", "c"), PalCode.BUSY, PalCode.INVAL);
      });
      await t.step("rename onto another name of the same file changes nothing", () => {
        fs.link("d2/sub/b", "hard");
        fs.rename("hard", "d2/sub/b");
        assert.equal(fs.lstat("hard").nlink, 2);
      });
    },
  },
  {
    name: "hard links",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("link shares the inode and counts nlink", () => {
        writeText(fs, "a", "data");
        fs.link("a", "b");
        assert.equal(fs.lstat("a").ino, fs.lstat("b").ino);
        assert.equal(fs.lstat("a").nlink, 2);
        writeText(fs, "b", "changed");
        assert.equal(readText(fs, "a"), "changed");
        fs.unlink("a");
        assert.equal(fs.lstat("b").nlink, 1);
        assert.equal(readText(fs, "b"), "changed");
      });
      await t.step("link onto an existing name is EXISTS; of a directory refused", () => {
        writeText(fs, "c", "");
        assertPal(() => fs.link("b", "c"), PalCode.EXISTS);
        fs.mkdir("d", 0o755);
        assertPal(() => fs.link("d", "e"), PalCode.NOT_PERMITTED);
      });
    },
  },
  {
    name: "symlinks are stored and never followed",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      fs.mkdir("real", 0o755);
      writeText(fs, "real/f", "x");
      await t.step("symlink stores its target verbatim; lstat shows the link", () => {
        fs.symlink("real", "l");
        fs.symlink("../../../etc/passwd", "evil");
        assert.equal(fs.readlink("l"), "real");
        assert.equal(fs.readlink("evil"), "../../../etc/passwd");
        const st = fs.lstat("evil");
        assert.equal(st.type, "symlink");
        assert.equal(st.size, "../../../etc/passwd".length);
        assertPal(() => fs.readlink("real"), PalCode.INVAL);
        assertPal(() => fs.symlink("x", "l"), PalCode.EXISTS);
      });
      await t.step("an intermediate symlink throws SYMLINK with target and consumed", () => {
        for (const call of [() => fs.lstat("l/f"), () => fs.open("l/f", { read: true }, 0)]) {
          const e = assertPal(call, PalCode.SYMLINK);
          const d = e.detail as SymlinkDetail;
          assert.equal(d.target, "real");
          assert.equal(d.consumed, "l");
          assert.equal(d.rest, "f");
        }
        assertPal(() => fs.mkdir("l/new", 0o755), PalCode.SYMLINK);
        assertPal(() => fs.unlink("l/f"), PalCode.SYMLINK);
        assertPal(() => fs.rename("real/f", "l/g"), PalCode.SYMLINK);
      });
      await t.step(
        "a final symlink: open/readdir/truncate throw SYMLINK, name calls act on it",
        () => {
          const e = assertPal(() => fs.open("l", { read: true }, 0), PalCode.SYMLINK);
          assert.deepEqual(e.detail, { target: "real", consumed: "l", rest: "" });
          assertPal(() => fs.readdir("l"), PalCode.SYMLINK);
          assertPal(() => fs.truncate("l", 0), PalCode.SYMLINK);
          assertPal(
            () => fs.open("l", { write: true, create: true, excl: true }, 0),
            PalCode.EXISTS,
          );
          assertPal(() => fs.rmdir("l"), PalCode.NOT_DIR);
          fs.rename("l", "l2");
          assert.equal(fs.readlink("l2"), "real");
          fs.unlink("l2");
          assert.equal(fs.lstat("real").type, "dir");
          assert.deepEqual(names(fs, "real"), ["f"]);
        },
      );
      await t.step("a dangling link is fine to make, read and remove", () => {
        fs.symlink("nowhere/at/all", "dangling");
        assert.equal(fs.readlink("dangling"), "nowhere/at/all");
        fs.unlink("dangling");
      });
      await t.step("an empty target is refused", () => {
        assertPal(() => fs.symlink("", "empty"), PalCode.NOT_FOUND, PalCode.INVAL);
      });
    },
  },
  {
    name: "readdir order is stable and complete",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("entries sorted by name with type and ino", () => {
        for (const n of ["zeta", "alpha", "Mid", "beta"]) writeText(fs, n, n);
        fs.mkdir("dir", 0o755);
        fs.symlink("alpha", "ln");
        const list = fs.readdir("");
        assert.deepEqual(list.map((e) => e.name), ["Mid", "alpha", "beta", "dir", "ln", "zeta"]);
        assert.equal(list.find((e) => e.name === "dir")?.type, "dir");
        assert.equal(list.find((e) => e.name === "ln")?.type, "symlink");
        for (const e of list) assert.equal(e.ino, fs.lstat(e.name).ino);
        assert.deepEqual(fs.readdir(""), list);
      });
      await t.step("readdir of a file is NOT_DIR; of a missing dir NOT_FOUND", () => {
        assertPal(() => fs.readdir("alpha"), PalCode.NOT_DIR);
        assertPal(() => fs.readdir("nope"), PalCode.NOT_FOUND);
      });
    },
  },
  {
    name: "inode numbers are stable and distinct",
    run: async (t, make) => {
      const fs = await make({ readonly: false });
      await t.step("distinct objects have distinct inos; an ino survives rename", () => {
        fs.mkdir("d", 0o755);
        writeText(fs, "a", "");
        writeText(fs, "d/b", "");
        fs.symlink("a", "s");
        const inos = ["", "d", "a", "d/b", "s"].map((p) => fs.lstat(p).ino);
        assert.equal(new Set(inos).size, inos.length);
        fs.rename("d/b", "c");
        assert.equal(fs.lstat("c").ino, inos[3]);
        const f = fs.open("c", { read: true }, 0);
        assert.equal(f.stat().ino, inos[3]);
        assert.equal(f.stat().dev, fs.lstat("c").dev);
        f.close();
      });
    },
  },
];
