/** ChrootFs emulated symlinks: how they look on the host, and that a guest cannot forge one. */
import assert from "node:assert/strict";
import { PalCode } from "../../pal/errors.ts";
import { ChrootFs } from "../../pal/host/chrootfs.ts";
import { LINK_HOST_MODE, LINK_MAGIC } from "../../pal/host/chrootfs_link.ts";
import type { SymlinkDetail } from "../../pal/host/fs_types.ts";
import { assertPal, readText, writeText } from "./fs_conformance_util.ts";

function withFs(fn: (fs: ChrootFs, root: string) => void): void {
  const root = Deno.makeTempDirSync({ prefix: "sandpiper-chroot-link-" });
  try {
    fn(new ChrootFs({ hostRoot: root, readonly: false, symlinks: "emulate" }), root);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

Deno.test("chroot link: an emulated link is a marked regular host file", () => {
  withFs((fs, root) => {
    fs.symlink("dir/target", "l");
    const host = Deno.lstatSync(`${root}/l`);
    assert.ok(host.isFile);
    assert.equal((host.mode ?? 0) & 0o7777, LINK_HOST_MODE);
    assert.equal(Deno.readTextFileSync(`${root}/l`), LINK_MAGIC + "dir/target");
    const st = fs.lstat("l");
    assert.equal(st.type, "symlink");
    assert.equal(st.size, "dir/target".length);
    assert.equal(st.mode, 0o777);
    assert.equal(st.ino, host.ino);
  });
});

Deno.test("chroot link: a hard link of an emulated link is a link; unlink leaves the other", () => {
  withFs((fs) => {
    writeText(fs, "f", "data");
    fs.symlink("f", "l");
    fs.link("l", "l2");
    assert.equal(fs.readlink("l2"), "f");
    assert.equal(fs.lstat("l2").nlink, 2);
    fs.unlink("l");
    assert.equal(fs.readlink("l2"), "f");
    assert.equal(readText(fs, "f"), "data");
    const e = assertPal(() => fs.open("l2", { read: true }, 0), PalCode.SYMLINK);
    assert.deepEqual(e.detail as SymlinkDetail, { target: "f", consumed: "l2", rest: "" });
    assertPal(() => fs.utimes("l2", 1, 1), PalCode.SYMLINK);
  });
});

Deno.test("chroot link hostile: marker content written by a guest stays a file", () => {
  withFs((fs, root) => {
    writeText(fs, "forged", LINK_MAGIC + "/etc");
    assert.equal(fs.lstat("forged").type, "file");
    assertPal(() => fs.readlink("forged"), PalCode.INVAL);
    assert.equal(readText(fs, "forged"), LINK_MAGIC + "/etc");
    // asking for the sticky bit (and the link's exact mode) at create time does not get it
    for (const mode of [0o1777, LINK_HOST_MODE]) {
      const f = fs.open(`m${mode}`, { write: true, create: true, excl: true }, mode);
      f.pwrite(new TextEncoder().encode(LINK_MAGIC + "/etc"), 0);
      f.close();
      assert.equal(Deno.lstatSync(`${root}/m${mode}`).mode! & 0o1000, 0);
      assert.equal(fs.lstat(`m${mode}`).type, "file");
      assert.deepEqual(fs.readdir("").find((e) => e.name === `m${mode}`)?.type, "file");
      // nor by chmod afterwards, by name or by handle
      fs.chmod(`m${mode}`, mode);
      assert.equal(Deno.lstatSync(`${root}/m${mode}`).mode! & 0o7777, mode & 0o777);
      const h = fs.open(`m${mode}`, { read: true }, 0);
      h.close();
      assert.equal(fs.lstat(`m${mode}`).type, "file");
    }
  });
});

Deno.test("chroot hostile: no setuid, setgid or sticky host file, by create, mkdir or chmod", () => {
  withFs((fs, root) => {
    fs.open("suid", { write: true, create: true, excl: true }, 0o6755).close();
    assert.equal(Deno.lstatSync(`${root}/suid`).mode! & 0o7000, 0);
    fs.chmod("suid", 0o4755);
    assert.equal(Deno.lstatSync(`${root}/suid`).mode! & 0o7777, 0o755);
    fs.mkdir("sgid", 0o3777);
    assert.equal(Deno.lstatSync(`${root}/sgid`).mode! & 0o7000, 0);
    fs.chmod("sgid", 0o2755);
    assert.equal(Deno.lstatSync(`${root}/sgid`).mode! & 0o7777, 0o755);
  });
});

Deno.test("chroot hostile: chmod of an emulated FIFO is NOT_SUPPORTED and leaves its marker", () => {
  withFs((fs, root) => {
    fs.mkfifo("p", 0o644);
    const before = Deno.lstatSync(`${root}/p`).mode;
    assertPal(() => fs.chmod("p", 0o777), PalCode.NOT_SUPPORTED);
    assert.equal(Deno.lstatSync(`${root}/p`).mode, before);
    assert.equal(fs.lstat("p").type, "fifo");
  });
});

Deno.test("chroot link hostile: a marked file that is not a well-formed link stays a file", () => {
  withFs((fs, root) => {
    // The host (not a guest) marks files whose content is wrong: none becomes a link.
    const bad = { nomagic: "/etc", empty: LINK_MAGIC, nul: LINK_MAGIC + "a\0b" };
    for (const [name, text] of Object.entries(bad)) {
      Deno.writeTextFileSync(`${root}/${name}`, text);
      Deno.chmodSync(`${root}/${name}`, LINK_HOST_MODE);
      assert.equal(fs.lstat(name).type, "file", name);
    }
    Deno.writeFileSync(
      `${root}/badutf8`,
      new Uint8Array([...LINK_MAGIC].map((c) => c.charCodeAt(0)).concat([0xff])),
    );
    Deno.chmodSync(`${root}/badutf8`, LINK_HOST_MODE);
    assert.equal(fs.lstat("badutf8").type, "file");
  });
});

Deno.test("chroot link: calls that would write through an emulated link are refused", () => {
  withFs((fs) => {
    fs.symlink("a", "l");
    assertPal(() => fs.open("l", { write: true }, 0), PalCode.SYMLINK);
    assertPal(() => fs.open("l", { write: true, create: true, excl: true }, 0o644), PalCode.EXISTS);
    assertPal(() => fs.truncate("l", 0), PalCode.SYMLINK);
    assertPal(() => fs.mkdir("l", 0o755), PalCode.EXISTS);
    assertPal(() => fs.symlink("b", "l"), PalCode.EXISTS);
    assert.equal(fs.readlink("l"), "a");
  });
});

Deno.test("chroot link: nofollow sets an emulated link's own times, in ns", () => {
  withFs((fs, root) => {
    writeText(fs, "f", "x");
    fs.symlink("f", "l");
    const before = Deno.lstatSync(`${root}/f`).mtime?.getTime();
    fs.utimesNs("l", 5_000_000_123n, 7_000_000_456n, true);
    const st = fs.lstat("l");
    assert.equal(st.type, "symlink");
    assert.equal(st.atimeNs, "5000000123");
    assert.equal(st.mtimeNs, "7000000456");
    assert.equal(Deno.lstatSync(`${root}/l`).mtime?.getTime(), 7000);
    assert.equal(Deno.lstatSync(`${root}/f`).mtime?.getTime(), before);
  });
});
