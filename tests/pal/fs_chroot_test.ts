/** ChrootFs: the conformance suite, symlinks in the mounted dir, and narrowed permissions. */
import assert from "node:assert/strict";
import { PalCode, PalError } from "../../pal/errors.ts";
import { ChrootFs } from "../../pal/host/chrootfs.ts";
import type { SymlinkDetail } from "../../pal/host/fs_types.ts";
import { runFsConformance } from "./fs_conformance.ts";
import { loadNodeFs } from "../../pal/host/lazy_node.ts";
import { assertPal, bytes, names, readText, writeText } from "./fs_conformance_util.ts";

// statfs needs node:fs, which a host loads at its first stream_statfs (lazy_node.ts).
await loadNodeFs();

runFsConformance({
  name: "chroot",
  makeFs: ({ readonly }) => {
    const dir = Deno.makeTempDirSync({ prefix: "sandpiper-chroot-" });
    if (readonly) {
      Deno.writeTextFileSync(`${dir}/f`, "seed");
      Deno.mkdirSync(`${dir}/d`);
    }
    const cleanup = () => Deno.removeSync(dir, { recursive: true });
    return Promise.resolve({ fs: new ChrootFs({ hostRoot: dir, readonly }), cleanup });
  },
});

runFsConformance({
  name: "chroot (emulated symlinks)",
  makeFs: ({ readonly }) => {
    const dir = Deno.makeTempDirSync({ prefix: "sandpiper-chroot-" });
    if (readonly) {
      Deno.writeTextFileSync(`${dir}/f`, "seed");
      Deno.mkdirSync(`${dir}/d`);
    }
    const cleanup = () => Deno.removeSync(dir, { recursive: true });
    const fs = new ChrootFs({ hostRoot: dir, readonly, symlinks: "emulate" });
    return Promise.resolve({ fs, cleanup });
  },
});

/** A temp dir holding `root/` (the mount) and `outside/secret` (must never change). */
function setup(): { base: string; root: string; secret: string; fs: ChrootFs } {
  const base = Deno.makeTempDirSync({ prefix: "sandpiper-chroot-" });
  Deno.mkdirSync(`${base}/root`);
  Deno.mkdirSync(`${base}/outside`);
  Deno.writeTextFileSync(`${base}/outside/secret`, "top secret");
  Deno.utimeSync(`${base}/outside/secret`, 1000, 1000);
  return {
    base,
    root: `${base}/root`,
    secret: `${base}/outside/secret`,
    fs: new ChrootFs({ hostRoot: `${base}/root`, readonly: false }),
  };
}

function assertUntouched(secret: string): void {
  assert.equal(Deno.readTextFileSync(secret), "top secret");
  const st = Deno.lstatSync(secret);
  assert.equal(st.mtime?.getTime(), 1_000_000);
  assert.equal(st.nlink, 1);
}

Deno.test("chroot: a pre-existing symlink to /etc is listed but never followed", async (t) => {
  const { base, root, fs } = setup();
  Deno.symlinkSync("/etc", `${root}/link`);
  try {
    await t.step("readdir shows the link as a symlink", () => {
      assert.deepEqual(fs.readdir(""), [
        { name: "link", type: "symlink", ino: Deno.lstatSync(`${root}/link`).ino },
      ]);
      assert.equal(fs.lstat("link").type, "symlink");
      assert.equal(fs.readlink("link"), "/etc");
    });
    await t.step("open of the link is SYMLINK with its target", () => {
      const e = assertPal(() => fs.open("link", { read: true }, 0), PalCode.SYMLINK);
      assert.deepEqual(e.detail, { target: "/etc", consumed: "link", rest: "" });
      assertPal(() => fs.readdir("link"), PalCode.SYMLINK);
    });
    await t.step("link/hostname is SYMLINK for every call", () => {
      const calls = [
        () => fs.open("link/hostname", { read: true }, 0),
        () => fs.lstat("link/hostname"),
        () => fs.readlink("link/hostname"),
        () => fs.readdir("link/ssl"),
        () => fs.unlink("link/hostname"),
        () => fs.truncate("link/hostname", 0),
        () => fs.utimes("link/hostname", 0, 0),
        () => fs.mkdir("link/new", 0o755),
        () => fs.rename("link/hostname", "h"),
        () => fs.link("link/hostname", "h"),
      ];
      for (const call of calls) {
        const d = assertPal(call, PalCode.SYMLINK).detail as SymlinkDetail;
        assert.equal(d.target, "/etc");
        assert.equal(d.consumed, "link");
      }
    });
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("chroot: a file outside hostRoot is never touched through a link", async (t) => {
  const { base, root, secret, fs } = setup();
  Deno.symlinkSync(secret, `${root}/abs`);
  Deno.symlinkSync("../outside/secret", `${root}/rel`);
  Deno.symlinkSync("../outside", `${root}/dir`);
  try {
    await t.step("content calls on the links are SYMLINK", () => {
      for (const l of ["abs", "rel"]) {
        assertPal(() => fs.open(l, { write: true, truncate: true }, 0), PalCode.SYMLINK);
        assertPal(() => fs.open(l, { write: true, create: true }, 0o644), PalCode.SYMLINK);
        assertPal(() => fs.truncate(l, 0), PalCode.SYMLINK);
        assertPal(() => fs.utimes(l, 5, 5), PalCode.SYMLINK);
      }
      assertPal(() => fs.open("dir/secret", { write: true }, 0), PalCode.SYMLINK);
      assertPal(() => fs.unlink("dir/secret"), PalCode.SYMLINK);
      assertPal(() => fs.rename("dir/secret", "stolen"), PalCode.SYMLINK);
      assertPal(() => fs.symlink("x", "dir/planted"), PalCode.SYMLINK);
      assertUntouched(secret);
    });
    await t.step("name calls act on the link, not the file", () => {
      fs.link("abs", "hard"); // a second name of the link itself
      assert.equal(fs.lstat("hard").type, "symlink");
      fs.rename("rel", "rel2");
      fs.unlink("rel2");
      fs.unlink("hard");
      fs.unlink("abs");
      assertPal(() => fs.rmdir("dir"), PalCode.NOT_DIR);
      fs.unlink("dir"); // a link to a directory is unlinked, the directory stays
      assertUntouched(secret);
      assert.deepEqual(names(fs, ""), []);
    });
    await t.step("hostile paths change nothing outside", () => {
      for (const p of ["../outside/secret", "/etc/hostname", `..`, `${secret}`]) {
        assertPal(() => fs.open(p, { write: true, truncate: true }, 0), PalCode.INVAL);
        assertPal(() => fs.unlink(p), PalCode.INVAL);
      }
      assertUntouched(secret);
    });
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("chroot: error messages never carry the host path", () => {
  const { base, root, fs } = setup();
  try {
    writeText(fs, "f", "x");
    fs.mkdir("d", 0o755);
    writeText(fs, "d/x", "x");
    const errors = [
      assertPal(() => fs.open("nope/x", { read: true }, 0), PalCode.NOT_FOUND),
      assertPal(() => fs.mkdir("f", 0o755), PalCode.EXISTS),
      assertPal(() => fs.rmdir("d"), PalCode.NOT_EMPTY),
      assertPal(() => fs.rename("d", "d/x/y"), PalCode.NOT_DIR),
      assertPal(() => fs.rename("f", "d"), PalCode.IS_DIR),
    ];
    for (const e of errors) assert.ok(!e.message.includes(root), e.message);
    assert.equal(readText(fs, "f"), "x");
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("chroot: a fifo in the mount is listed but open refuses it instead of blocking", () => {
  const { base, root, fs } = setup();
  try {
    new Deno.Command("mkfifo", { args: [`${root}/pipe`] }).outputSync();
    assert.equal(fs.lstat("pipe").type, "other");
    assertPal(() => fs.open("pipe", { read: true }, 0), PalCode.NOT_SUPPORTED);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("chroot: hostRoot must be an absolute existing directory", () => {
  assertPal(() => new ChrootFs({ hostRoot: "relative/dir" }), PalCode.INVAL);
  assertPal(() => new ChrootFs({ hostRoot: "/no/such/sandpiper/dir" }), PalCode.NOT_FOUND);
});

Deno.test("chroot: under path-scoped permissions symlinks are emulated, the rest works", async () => {
  const { base, root } = setup();
  const script = `${base}/probe.ts`;
  const mod = new URL("../../pal/host/chrootfs.ts", import.meta.url).href;
  const lazy = new URL("../../pal/host/lazy_node.ts", import.meta.url).href;
  Deno.writeTextFileSync(
    script,
    `import { ChrootFs } from "${mod}";
import { loadNodeFs } from "${lazy}";
await loadNodeFs();
const fs = new ChrootFs({ hostRoot: Deno.args[0], readonly: false });
const out = {};
const f = fs.open("a", { read: true, write: true, create: true }, 0o644);
f.pwrite(new TextEncoder().encode("hello"), 0);
out.size = f.stat().size;
f.close();
fs.mkdir("d", 0o755);
fs.link("a", "d/b");
fs.rename("d/b", "c");
out.names = fs.readdir("").map((e) => e.name);
out.statfs = fs.statfs();
try { fs.symlink("/etc", "l"); out.symlink = "created"; } catch (e) { out.symlink = e.code; out.msg = e.message; }
out.lstat = fs.lstat("l");
out.readlink = fs.readlink("l");
try { fs.open("l/hostname", { read: true }, 0); } catch (e) { out.walk = e.detail; }
console.log(JSON.stringify(out));`,
  );
  try {
    const res = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-config",
        `--allow-read=${root}`,
        `--allow-write=${root}`,
        script,
        root,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(res.stderr);
    assert.equal(res.code, 0, err);
    const out = JSON.parse(new TextDecoder().decode(res.stdout));
    assert.equal(out.size, 5);
    assert.deepEqual(out.names, ["a", "c", "d"]);
    assert.deepEqual(out.statfs, { totalBytes: 0, usedBytes: 0 });
    assert.equal(out.symlink, "created", out.msg);
    assert.equal(out.lstat.type, "symlink");
    assert.equal(out.lstat.size, 4);
    assert.equal(out.readlink, "/etc");
    assert.deepEqual(out.walk, { target: "/etc", consumed: "l", rest: "hostname" });
    const host = Deno.lstatSync(`${root}/l`);
    assert.ok(host.isFile, "the host holds a regular file, not a real symlink");
    assert.equal((host.mode ?? 0) & 0o7777, 0o1444);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

Deno.test("chroot: writes land in the host directory", () => {
  const { base, root, fs } = setup();
  try {
    const f = fs.open("x", { write: true, create: true }, 0o600);
    f.pwrite(bytes("data"), 2);
    f.sync();
    f.close();
    assert.deepEqual([...Deno.readFileSync(`${root}/x`)], [0, 0, 100, 97, 116, 97]);
    assert.ok(fs.statfs().totalBytes > 0);
    assert.ok(!(fs.lstat("x") instanceof PalError));
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});
