/**
 * `fs.code_mount`: the app's code directory appears read-only at its host path, so a program
 * finds the files beside it through import.meta.url, import.meta.dirname and Deno.mainModule; a
 * manifest mount at that path wins; `code_mount = false` shows nothing; and a code directory
 * that lies under a manifest mount (here a tmpfs at its first component) is reached through
 * directories the outer mount does not have. The guest also fetches its files by file: URL.
 */
import assert from "node:assert/strict";
import { parseManifest } from "../../sandbox/manifest.ts";
import { codeMountPath } from "../../sandbox/host/config.ts";
import { hostConfigFromManifest } from "../../sandbox/host/config_build.ts";
import { Sandbox } from "../../sandbox/sandbox.ts";

/** A guest that reports what it sees of its own directory, as JSON on stdout. */
const GUEST = `
const out = {};
const tryIt = (k, f) => { try { out[k] = f(); } catch (e) { out[k] = e.name; } };
tryIt("url", () => Deno.readTextFileSync(new URL("./data.txt", import.meta.url)));
tryIt("dirname", () => Deno.readTextFileSync(import.meta.dirname + "/data.txt"));
tryIt("main", () => Deno.readTextFileSync(new URL("./data.txt", Deno.mainModule)));
tryIt("same", () => Deno.mainModule === import.meta.url);
tryIt("exe", () => Deno.readLinkSync("/proc/self/exe"));
tryIt("up", () => [...Deno.readDirSync(import.meta.dirname + "/..")].map((e) => e.name));
tryIt("upIsDir", () => Deno.statSync(import.meta.dirname + "/..").isDirectory);
tryIt("write", () => Deno.writeTextFileSync(import.meta.dirname + "/new.txt", "x"));
tryIt("spawn", () => new TextDecoder().decode(new Deno.Command("deno", {
  args: ["run", import.meta.dirname + "/child.js"],
}).outputSync().stdout));
// fetch() of file: URLs reads the guest's file system, with real Deno's answers and errors.
const tryAsync = async (k, f) => {
  try { out[k] = await f(); } catch (e) { out[k] = e.name + ": " + e.message; }
};
const here = (p) => new URL(p, import.meta.url);
await tryAsync("fetch", async () => {
  const r = await fetch(here("./data.txt"));
  return [r.status, r.statusText, r.url === here("./data.txt").href, [...r.headers].length, await r.text()];
});
await tryAsync("fetchMissing", () => fetch(here("./nope.txt")));
await tryAsync("fetchDir", async () => {
  const r = await fetch(here("."));
  return [r.status, await r.text()];
});
await tryAsync("fetchPost", () => fetch(here("./data.txt"), { method: "POST", body: "x" }));
console.log(JSON.stringify(out));
`;

async function codeDir(): Promise<{ root: string; app: string }> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sp_codemount_" }));
  const app = `${root}/app`;
  await Deno.mkdir(app);
  await Deno.writeTextFile(`${app}/main.js`, GUEST);
  await Deno.writeTextFile(`${app}/child.js`, "console.log('child ' + Deno.mainModule);");
  await Deno.writeTextFile(`${app}/data.txt`, "beside");
  await Deno.writeTextFile(`${root}/secret.txt`, "not for the guest");
  return { root, app };
}

async function run(root: string, fsLines: string[]): Promise<Record<string, unknown>> {
  const toml = `${root}/app.toml`;
  await Deno.writeTextFile(
    toml,
    ["[loader]", 'entrypoint = "app/main.js"', "[fs]", ...fsLines, "[sys]", 'wall_time = "30s"']
      .join("\n"),
  );
  const sb = await Sandbox.create(toml, { isolation: "worker" });
  try {
    const r = await sb.run();
    const dec = new TextDecoder();
    assert.equal(r.code, 0, dec.decode(r.stderr));
    return JSON.parse(dec.decode(r.stdout));
  } finally {
    await sb.close();
  }
}

Deno.test("code_mount: the program reads the files beside it, read-only; nothing else shows", async () => {
  const { root, app } = await codeDir();
  try {
    const got = await run(root, []);
    assert.equal(got.url, "beside");
    assert.equal(got.dirname, "beside");
    assert.equal(got.main, "beside");
    assert.equal(got.same, true);
    assert.equal(got.exe, `${app}/main.js`);
    // The parent is a synthetic directory that lists only the way to the mount.
    assert.deepEqual(got.up, ["app"]);
    assert.equal(got.upIsDir, true);
    assert.equal(got.write, "PermissionDenied");
    assert.deepEqual(got.fetch, [200, "OK", true, 0, "beside"]);
    assert.equal(
      got.fetchMissing,
      `TypeError: Error fetching file 'file://${app}/nope.txt': No such file or directory (os error 2)`,
    );
    assert.equal(got.fetchDir, "TypeError: Is a directory (os error 21)");
    assert.equal(
      got.fetchPost,
      "TypeError: Fetching files only supports the GET method: received POST",
    );
    // Programs in the code directory run as picoprocesses.
    assert.equal(got.spawn, `child file://${app}/child.js\n`);
    assert.equal(await Deno.readTextFile(`${root}/secret.txt`), "not for the guest");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("code_mount = false: the code directory is not in the guest's file system", async () => {
  const { root } = await codeDir();
  try {
    const got = await run(root, ["code_mount = false"]);
    assert.equal(got.url, "NotFound");
    assert.equal(got.dirname, "NotFound");
    assert.equal(got.same, false);
    assert.match(String(got.fetch), /^TypeError: Error fetching file .*\(os error 2\)$/);
    assert.equal(got.spawn, "NotFound");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("code_mount under a manifest tmpfs: reached through directories the tmpfs lacks", async () => {
  const { root, app } = await codeDir();
  const top = `/${root.split("/")[1]}`;
  try {
    const got = await run(root, [`mounts = [{ path = "${top}", type = "tmpfs" }]`]);
    assert.equal(got.url, "beside");
    assert.deepEqual(got.up, ["app"]);
    assert.equal(got.upIsDir, true);
    assert.equal(got.exe, `${app}/main.js`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("code_mount: the mount the host binds, and when there is none", async () => {
  const { root, app } = await codeDir();
  try {
    const manifest = (fsLines: string[]) =>
      parseManifest(["[loader]", 'entrypoint = "app/main.js"', "[fs]", ...fsLines].join("\n"), {
        baseDir: root,
      });
    const m = manifest([`mounts = [{ path = "/data", uri = "file:${root}" }]`]);
    assert.equal(codeMountPath(m), app);
    const cfg = hostConfigFromManifest(m);
    assert.deepEqual(cfg.mounts.at(-1), {
      id: 2,
      path: app,
      type: "chroot",
      readonly: true,
      readahead: true,
      hostPath: app,
      code: true,
    });
    // A manifest mount at that very path wins; code_mount = false adds none.
    assert.equal(codeMountPath(manifest([`mounts = [{ path = "${app}", type = "tmpfs" }]`])), null);
    assert.equal(codeMountPath(manifest(["code_mount = false"])), null);
    assert.equal(hostConfigFromManifest(manifest(["code_mount = false"])).mounts.length, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
