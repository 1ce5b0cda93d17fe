/** Manifest parsing, validation and resolution against real files in temporary directories. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  loadManifest,
  loadManifestSync,
  type Manifest,
  manifestFromObject,
  parseManifest,
} from "../../sandbox/manifest.ts";
import { ManifestError } from "../../sandbox/errors.ts";
import { manifestJsonSchema, SCHEMA_PATH } from "../../tools/gen_schema.ts";
import { MINIMAL, sandboxDir } from "./_manifest_util.ts";

Deno.test("a minimal manifest gets every documented default", async () => {
  const s = await sandboxDir();
  const m = parseManifest(MINIMAL, { baseDir: s.dir, path: "min.toml" });
  assert.deepEqual(
    m,
    {
      file: join(Deno.cwd(), "min.toml"),
      baseDir: s.dir,
      loader: {
        entrypoint: join(s.real, "app", "main.js"),
        argv: ["app/main.js"],
        env: {},
        codeDir: join(s.real, "app"),
        personality: "deno",
      },
      fs: {
        root: "/",
        mounts: [],
        trustedFiles: [],
        discover: false,
        codeMount: true,
        readCacheBytes: 64 * 2 ** 20,
      },
      net: { connect: [], listen: [] },
      sys: {
        isolation: "process",
        maxProcesses: 16,
        maxThreads: 16,
        maxMemoryBytes: 256 * 2 ** 20,
        maxFds: 256,
        maxOutputBytes: 16 * 2 ** 20,
        wallTimeMs: null,
        watchdogMs: null,
        pipeBufferBytes: 64 * 2 ** 10,
        spawnPool: 2,
        recycle: true,
        vmaQuotaBytes: 64 * 2 ** 20,
        auditPath: null,
        debug: false,
      },
    } satisfies Manifest,
  );
  await s.done();
});

Deno.test("sizes become bytes and durations become milliseconds", async () => {
  const s = await sandboxDir();
  const m = parseManifest(
    `${MINIMAL}[sys]\nmax_memory = "1G"\nmax_output = 1000\npipe_buffer = "512K"\n` +
      `vma_quota = "2M"\nwall_time = "2m"\nwatchdog = 750\n`,
    { baseDir: s.dir },
  );
  assert.equal(m.sys.maxMemoryBytes, 2 ** 30);
  assert.equal(m.sys.maxOutputBytes, 1000);
  assert.equal(m.sys.pipeBufferBytes, 512 * 1024);
  assert.equal(m.sys.vmaQuotaBytes, 2 * 2 ** 20);
  const c = parseManifest(`${MINIMAL}[fs]\nread_cache = "8M"\n`, { baseDir: s.dir });
  assert.equal(c.fs.readCacheBytes, 8 * 2 ** 20);
  assert.equal(m.sys.wallTimeMs, 120_000);
  assert.equal(m.sys.watchdogMs, 750);
  const h = parseManifest(`${MINIMAL}[sys]\nwall_time = "1h"\nwatchdog = "500ms"\n`, {
    baseDir: s.dir,
  });
  assert.equal(h.sys.wallTimeMs, 3_600_000);
  assert.equal(h.sys.watchdogMs, 500);
  await s.done();
});

Deno.test("env: literal values, passthrough from hostEnv, nothing else leaks", async () => {
  const s = await sandboxDir();
  const m = parseManifest(
    `[loader]\nentrypoint = "app/main.js"\n` +
      `env = { LANG = "C", HOME = { passthrough = true }, ABSENT = { passthrough = true } }\n`,
    { baseDir: s.dir, hostEnv: { HOME: "/home/ada", SECRET: "s3cret", LANG: "de_DE" } },
  );
  assert.deepEqual(m.loader.env, { LANG: "C", HOME: "/home/ada" });
  const none = parseManifest(
    `${MINIMAL}`.replace("\n", "\nenv = { HOME = { passthrough = true } }\n"),
    {
      baseDir: s.dir,
    },
  );
  assert.deepEqual(none.loader.env, {}, "no hostEnv given: passthrough finds nothing");
  await s.done();
});

Deno.test("mounts are normalized, sorted by guest path and resolved to canonical host dirs", async () => {
  const s = await sandboxDir();
  const m = parseManifest(
    `${MINIMAL}[fs]\nroot = "/work/./here/"\n` +
      `mounts = [\n  { path = "/data//set/", uri = "file:data", readonly = true, readahead = false },\n` +
      `  { path = "/tmp", type = "tmpfs", size = "1M" },\n` +
      `  { path = "/", uri = "file:${s.dir}" },\n  { path = "/scratch", type = "tmpfs" },\n]\n`,
    { baseDir: s.dir },
  );
  assert.equal(m.fs.root, "/work/here");
  assert.deepEqual(m.fs.mounts, [
    { type: "chroot", path: "/", hostPath: s.real, readonly: false, readahead: true },
    {
      type: "chroot",
      path: "/data/set",
      hostPath: join(s.real, "data"),
      readonly: true,
      readahead: false,
    },
    { type: "tmpfs", path: "/scratch", readonly: false, readahead: true, sizeBytes: 16 * 2 ** 20 },
    { type: "tmpfs", path: "/tmp", readonly: false, readahead: true, sizeBytes: 2 ** 20 },
  ]);
  await s.done();
});

Deno.test("trusted files resolve to absolute host paths with lowercase hex", async () => {
  const s = await sandboxDir();
  const hex = "AB".repeat(32);
  const m = parseManifest(
    `${MINIMAL}[fs]\ntrusted_files = [{ uri = "file:app/main.js", sha256 = "${hex}" }]\n`,
    { baseDir: s.dir },
  );
  assert.deepEqual(m.fs.trustedFiles, [
    { hostPath: join(s.real, "app", "main.js"), sha256: "ab".repeat(32) },
  ]);
  await s.done();
});

Deno.test("loader: argv, code dir, personality and audit path resolve", async () => {
  const s = await sandboxDir();
  await Deno.writeTextFile(join(s.dir, "app", "prog.wasm"), "");
  const m = parseManifest(
    `[loader]\nentrypoint = "app/prog.wasm"\nargv = ["prog", "-v"]\ncode = "."\n` +
      `[sys]\naudit = "data/audit.jsonl"\nisolation = "worker"\n`,
    { baseDir: s.dir },
  );
  assert.deepEqual(m.loader.argv, ["prog", "-v"]);
  assert.equal(m.loader.codeDir, s.real);
  assert.equal(m.loader.personality, "wasi");
  assert.equal(m.sys.auditPath, join(s.real, "data", "audit.jsonl"));
  assert.equal(m.sys.isolation, "worker");
  await s.done();
});

Deno.test("net entries are kept exactly as listed, duplicates removed", async () => {
  const s = await sandboxDir();
  const m = parseManifest(
    `${MINIMAL}[net]\nconnect = ["example.com:443", "10.0.0.1:80", "example.com:443"]\n` +
      `listen = ["[::1]:8080"]\n`,
    { baseDir: s.dir },
  );
  assert.deepEqual(m.net, { connect: ["example.com:443", "10.0.0.1:80"], listen: ["[::1]:8080"] });
  await s.done();
});

Deno.test("the resolved manifest is deeply frozen", async () => {
  const s = await sandboxDir();
  const m = parseManifest(`${MINIMAL}[fs]\nmounts = [{ path = "/t", type = "tmpfs" }]\n`, {
    baseDir: s.dir,
  });
  assert.ok(Object.isFrozen(m) && Object.isFrozen(m.sys) && Object.isFrozen(m.fs.mounts[0]));
  assert.throws(() => (m.loader.argv as string[]).push("x"), TypeError);
  await s.done();
});

Deno.test("loadManifest and loadManifestSync resolve paths against the manifest's directory", async () => {
  const s = await sandboxDir();
  const file = join(s.dir, "app.toml");
  await Deno.writeTextFile(file, MINIMAL);
  const a = await loadManifest(file);
  const b = loadManifestSync(file, { hostEnv: {} });
  assert.equal(a.loader.entrypoint, join(s.real, "app", "main.js"));
  assert.deepEqual(a, b);
  assert.equal(a.file, file);
  await assert.rejects(loadManifest(join(s.dir, "nope.toml")), (e: unknown) => {
    assert.ok(e instanceof ManifestError);
    assert.match(e.message, /nope\.toml: file not found/);
    return true;
  });
  await s.done();
});

Deno.test("manifestFromObject applies the same rules as TOML", async () => {
  const s = await sandboxDir();
  const m = manifestFromObject(
    { loader: { entrypoint: "app/main.js" }, sys: { max_memory: 64 * 2 ** 20 } },
    { baseDir: s.dir },
  );
  assert.equal(m.file, null);
  assert.equal(m.sys.maxMemoryBytes, 64 * 2 ** 20);
  assert.throws(
    () =>
      manifestFromObject({ loader: { entrypoint: "app/main.js", extra: 1 } }, { baseDir: s.dir }),
    (e: unknown) =>
      e instanceof ManifestError && e.path === "<manifest>" && e.key === "loader.extra",
  );
  const hostile = new Proxy({}, {
    ownKeys() {
      throw new Error("boom");
    },
  });
  assert.throws(() => manifestFromObject(hostile, { baseDir: s.dir }), ManifestError);
  await s.done();
});

Deno.test("manifests/schema.json is what tools/gen_schema.ts generates now", async () => {
  const committed = await Deno.readTextFile(SCHEMA_PATH);
  assert.equal(committed, manifestJsonSchema(), "stale schema: run `deno task schema`");
});

Deno.test("every example manifest in manifests/ validates", async () => {
  const dir = new URL("../../manifests/", import.meta.url);
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".toml"))
    .map((e) => e.name).sort();
  assert.ok(names.length >= 3, `expected example manifests, found ${names.join(", ")}`);
  for (const name of names) {
    const m = await loadManifest(new URL(name, dir).pathname, { hostEnv: { HOME: "/home/x" } });
    assert.ok(m.loader.entrypoint.startsWith("/"), name);
  }
});
