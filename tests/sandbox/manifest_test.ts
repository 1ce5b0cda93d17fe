/** Manifest parsing, validation and resolution against real files in temporary directories. */
import assert from "node:assert/strict";
import fc from "fast-check";
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

/** A temp dir holding `app/main.js` and `data/`; `real` is its canonical path. */
async function sandboxDir(): Promise<{ dir: string; real: string; done: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "sandpiper_manifest_" });
  await Deno.mkdir(join(dir, "app"));
  await Deno.mkdir(join(dir, "data"));
  await Deno.writeTextFile(join(dir, "app", "main.js"), "console.log('hi');\n");
  return {
    dir,
    real: await Deno.realPath(dir),
    done: () => Deno.remove(dir, { recursive: true }),
  };
}

const MINIMAL = `[loader]\nentrypoint = "app/main.js"\n`;

/** Parse `text` in a fresh sandbox dir and return the ManifestError it must throw. */
async function errorOf(text: string): Promise<ManifestError> {
  const s = await sandboxDir();
  try {
    parseManifest(text, { baseDir: s.dir, path: "bad.toml" });
  } catch (e) {
    assert.ok(e instanceof ManifestError, `expected ManifestError, got ${String(e)}`);
    return e;
  } finally {
    await s.done();
  }
  assert.fail("manifest was accepted");
}

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
      fs: { root: "/", mounts: [], trustedFiles: [], discover: false },
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
      `mounts = [\n  { path = "/data//set/", uri = "file:data", readonly = true },\n` +
      `  { path = "/tmp", type = "tmpfs", size = "1M" },\n` +
      `  { path = "/", uri = "file:${s.dir}" },\n  { path = "/scratch", type = "tmpfs" },\n]\n`,
    { baseDir: s.dir },
  );
  assert.equal(m.fs.root, "/work/here");
  assert.deepEqual(m.fs.mounts, [
    { type: "chroot", path: "/", hostPath: s.real, readonly: false },
    { type: "chroot", path: "/data/set", hostPath: join(s.real, "data"), readonly: true },
    { type: "tmpfs", path: "/scratch", readonly: false, sizeBytes: 16 * 2 ** 20 },
    { type: "tmpfs", path: "/tmp", readonly: false, sizeBytes: 2 ** 20 },
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

Deno.test("errors name the file and the key", async (t) => {
  const cases: [string, string, string, RegExp][] = [
    [
      "unknown key",
      `${MINIMAL}[sys]\nmax_proc = 3\n`,
      "sys.max_proc",
      /^bad\.toml: unknown key sys\.max_proc$/,
    ],
    ["unknown table", `${MINIMAL}[gpu]\ncount = 1\n`, "gpu", /unknown key gpu/],
    [
      "wrong type",
      `${MINIMAL}[fs]\ndiscover = "yes"\n`,
      "fs.discover",
      /fs\.discover: expected a boolean, got "yes"/,
    ],
    [
      "bad enum",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a", uri = "file:data" }, { path = "/b", type = "nfs" }]\n`,
      "fs.mounts[1].type",
      /fs\.mounts\[1\]\.type: expected "chroot" \| "tmpfs", got "nfs"/,
    ],
    [
      "bad size",
      `${MINIMAL}[sys]\nmax_memory = "2X"\n`,
      "sys.max_memory",
      /sys\.max_memory: expected a size.*got "2X"/,
    ],
    [
      "size below minimum",
      `${MINIMAL}[sys]\nmax_memory = "1M"\n`,
      "sys.max_memory",
      /sys\.max_memory: must be at least 16777216 bytes/,
    ],
    [
      "bad duration",
      `${MINIMAL}[sys]\nwall_time = "30 sec"\n`,
      "sys.wall_time",
      /sys\.wall_time: expected a duration.*got "30 sec"/,
    ],
    [
      "missing required key",
      `[loader]\nargv = ["x"]\n`,
      "loader.entrypoint",
      /loader\.entrypoint: required key is missing/,
    ],
    ["missing loader table", `[sys]\ndebug = true\n`, "loader", /loader: required key is missing/],
    [
      "relative guest path",
      `${MINIMAL}[fs]\nmounts = [{ path = "data", uri = "file:data" }]\n`,
      "fs.mounts[0].path",
      /fs\.mounts\[0\]\.path: expected an absolute guest path/,
    ],
    [
      "dot-dot in guest path",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a/../etc", type = "tmpfs" }]\n`,
      "fs.mounts[0].path",
      /must not contain "\.\."/,
    ],
    [
      "chroot mount without uri",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a" }]\n`,
      "fs.mounts[0].uri",
      /fs\.mounts\[0\]\.uri: required for type = "chroot"/,
    ],
    [
      "tmpfs with uri",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a", type = "tmpfs", uri = "file:data" }]\n`,
      "fs.mounts[0].uri",
      /not allowed for type = "tmpfs"/,
    ],
    [
      "size on a chroot mount",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a", uri = "file:data", size = "1M" }]\n`,
      "fs.mounts[0].size",
      /only allowed for type = "tmpfs"/,
    ],
    [
      "non-file uri",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a", uri = "http://x/" }]\n`,
      "fs.mounts[0].uri",
      /expected "file:<host path>"/,
    ],
    [
      "bad sha256 hex",
      `${MINIMAL}[fs]\ntrusted_files = [{ uri = "file:app/main.js", sha256 = "${
        "g".repeat(64)
      }" }]\n`,
      "fs.trusted_files[0].sha256",
      /sha256: expected 64 hex digits/,
    ],
    [
      "bad net entry",
      `${MINIMAL}[net]\nconnect = ["example.com:443", "example.com:*"]\n`,
      "net.connect[1]",
      /net\.connect\[1\]: expected "host:port"/,
    ],
    [
      "port out of range",
      `${MINIMAL}[net]\nlisten = ["0.0.0.0:65536"]\n`,
      "net.listen[0]",
      /host:port/,
    ],
    [
      "bad env name",
      `[loader]\nentrypoint = "app/main.js"\nenv = { "MY VAR" = "1" }\n`,
      'loader.env."MY VAR"',
      /environment variable names are/,
    ],
    [
      "passthrough = false",
      `[loader]\nentrypoint = "app/main.js"\nenv = { A = { passthrough = false } }\n`,
      "loader.env.A",
      /expected a string or \{ passthrough = true \}/,
    ],
    [
      "__proto__ key",
      `[loader]\nentrypoint = "app/main.js"\nenv = { __proto__ = "x" }\n`,
      "loader.env.__proto__",
      /unknown key loader\.env\.__proto__/,
    ],
    [
      "empty argv",
      `[loader]\nentrypoint = "app/main.js"\nargv = []\n`,
      "loader.argv",
      /loader\.argv: must not be empty/,
    ],
    [
      "missing entrypoint file",
      `[loader]\nentrypoint = "app/nope.js"\n`,
      "loader.entrypoint",
      /loader\.entrypoint: host file \/.*\/app\/nope\.js does not exist/,
    ],
    [
      "entrypoint outside code dir",
      `[loader]\nentrypoint = "app/main.js"\ncode = "data"\n`,
      "loader.entrypoint",
      /is outside loader\.code/,
    ],
    [
      "missing mount dir",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a", uri = "file:nowhere" }]\n`,
      "fs.mounts[0].uri",
      /fs\.mounts\[0\]\.uri: host directory \/.*\/nowhere does not exist/,
    ],
    [
      "mount of a file",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a", uri = "file:app/main.js" }]\n`,
      "fs.mounts[0].uri",
      /main\.js is not a directory/,
    ],
    [
      "duplicate mount path",
      `${MINIMAL}[fs]\nmounts = [{ path = "/a", type = "tmpfs" }, { path = "/a/", uri = "file:data" }]\n`,
      "fs.mounts[1].path",
      /duplicate mount path \/a \(also fs\.mounts\[0\]\)/,
    ],
    [
      "missing trusted file",
      `${MINIMAL}[fs]\ntrusted_files = [{ uri = "file:lib.so", sha256 = "${"0".repeat(64)}" }]\n`,
      "fs.trusted_files[0].uri",
      /host file \/.*\/lib\.so does not exist/,
    ],
    [
      "audit log in a missing dir",
      `${MINIMAL}[sys]\naudit = "logs/audit.jsonl"\n`,
      "sys.audit",
      /sys\.audit: host directory \/.*\/logs does not exist/,
    ],
  ];
  for (const [name, text, key, message] of cases) {
    await t.step(name, async () => {
      const e = await errorOf(text);
      assert.equal(e.key, key);
      assert.equal(e.path, "bad.toml");
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n\s+at /, "no stack trace in the message");
    });
  }
});

Deno.test("a TOML syntax error reports line and column", async () => {
  const e = await errorOf(`[loader]\nentrypoint = "app/main.js"\n\n[sys\ndebug = true\n`);
  assert.equal(e.line, 4);
  assert.equal(typeof e.column, "number");
  assert.equal(e.key, "");
  assert.match(e.message, /^bad\.toml: line 4, column \d+: TOML syntax error: /);
});

Deno.test("several problems are all reported, the first one sets key", async () => {
  const e = await errorOf(`${MINIMAL}[sys]\nmax_fds = 1\ndebug = 3\nbogus = true\n`);
  assert.equal(e.key, "sys.max_fds");
  assert.deepEqual(e.problems, [
    "sys.max_fds: must be at least 3, got 1",
    "sys.debug: expected a boolean, got 3",
    "unknown key sys.bogus",
  ]);
  assert.match(e.message, /^bad\.toml: 3 problems:\n {2}sys\.max_fds/);
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

const UNITS: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 };
const MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A size as written, with the bytes it must resolve to. */
const sizeArb = (min: number) =>
  fc.oneof(
    fc.integer({ min, max: 2 ** 45 }).map((n) => [n, n] as const),
    fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.constantFrom("", "K", "M", "G"))
      .map(([n, u]) => [`${n}${u}`, n * (UNITS[u] ?? 0)] as const)
      .filter(([, bytes]) => bytes >= min),
  );

/** A duration as written, with the milliseconds it must resolve to. */
const durationArb = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 40 }).map((n) => [n, n] as const),
  fc.tuple(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom("ms", "s", "m", "h"))
    .map(([n, u]) => [`${n}${u}`, n * (MS[u] ?? 0)] as const),
);

const segment = fc.stringMatching(/^[a-z0-9_]{1,6}$/);
const mountArb = fc.uniqueArray(fc.array(segment, { maxLength: 3 }), {
  maxLength: 5,
  selector: (segs) => segs.join("/"),
}).chain((paths) =>
  fc.tuple(
    ...paths.map((segs) =>
      fc.record({
        path: fc.constantFrom("/", "//", "/./").map((sep) => `/${segs.join(sep)}`),
        readonly: fc.boolean(),
        tmpfs: fc.boolean(),
      })
    ),
  )
);

/** A valid manifest object (paths relative to `sandboxDir()`), a host env, and expectations. */
const validArb = fc.record({
  memory: sizeArb(16 * 2 ** 20),
  pipe: sizeArb(1),
  wall: fc.option(durationArb, { nil: undefined }),
  env: fc.dictionary(
    fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/),
    fc.oneof(fc.string().filter((v) => !v.includes("\0")), fc.constant({ passthrough: true })),
  ),
  hostEnv: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.string()),
  mounts: mountArb,
  net: fc.array(
    fc.tuple(
      fc.constantFrom("example.com", "10.0.0.1", "[::1]", "localhost"),
      fc.integer({ min: 1, max: 65535 }),
    )
      .map(([h, port]) => `${h}:${port}`),
    { maxLength: 6 },
  ),
  isolation: fc.constantFrom("worker", "process"),
  maxFds: fc.integer({ min: 3, max: 65536 }),
}).map((v) => ({
  ...v,
  obj: {
    loader: { entrypoint: "app/main.js", env: v.env },
    fs: {
      mounts: v.mounts.map((m) =>
        m.tmpfs
          ? { path: m.path, type: "tmpfs", readonly: m.readonly }
          : { path: m.path, uri: "file:data", readonly: m.readonly }
      ),
    },
    net: { connect: v.net },
    sys: {
      max_memory: v.memory[0],
      pipe_buffer: v.pipe[0],
      isolation: v.isolation,
      max_fds: v.maxFds,
      ...(v.wall ? { wall_time: v.wall[0] } : {}),
    },
  },
}));

Deno.test("property: random valid manifests resolve with the promised values", async () => {
  const s = await sandboxDir();
  fc.assert(fc.property(validArb, (v) => {
    const m = manifestFromObject(v.obj, { baseDir: s.dir, hostEnv: v.hostEnv });
    assert.equal(m.sys.maxMemoryBytes, v.memory[1]);
    assert.equal(m.sys.pipeBufferBytes, v.pipe[1]);
    assert.equal(m.sys.wallTimeMs, v.wall ? v.wall[1] : null);
    assert.equal(m.sys.maxFds, v.maxFds);
    assert.deepEqual(m.net.connect, [...new Set(v.net)]);
    const env: Record<string, string> = {};
    for (const [k, val] of Object.entries(v.env)) {
      const got = typeof val === "string" ? val : v.hostEnv[k];
      if (got !== undefined) env[k] = got;
    }
    assert.deepEqual(m.loader.env, env);
    const paths = m.fs.mounts.map((x) => x.path);
    assert.equal(paths.length, v.mounts.length);
    assert.deepEqual(paths, [...paths].sort());
    assert.ok(
      paths.every((p) => p === "/" || (p.startsWith("/") && !p.endsWith("/") && !p.includes("//"))),
    );
  }));
  await s.done();
});

function setAt(obj: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const base = obj !== null && typeof obj === "object" ? { ...obj } : {};
  return { ...base, [head]: setAt((base as Record<string, unknown>)[head], rest, value) };
}

const junkArb = fc.oneof(
  fc.anything(),
  fc.tuple(
    validArb,
    fc.constantFrom(
      [],
      ["loader"],
      ["loader", "entrypoint"],
      ["loader", "env"],
      ["loader", "argv"],
      ["loader", "code"],
      ["fs", "root"],
      ["fs", "mounts"],
      ["fs", "trusted_files"],
      ["net", "listen"],
      ["sys", "max_memory"],
      ["sys", "wall_time"],
      ["sys", "audit"],
      ["sys", "extra"],
    ),
    fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true }),
  ).map(([v, path, junk]) => setAt(v.obj, path, junk)),
);

Deno.test("property: junk objects and junk TOML only ever throw ManifestError", async () => {
  const s = await sandboxDir();
  const onlyManifestError = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      assert.ok(!e.message.includes("\n    at "), "no stack trace in the message");
    }
  };
  fc.assert(
    fc.property(junkArb, (junk) => {
      onlyManifestError(() => manifestFromObject(junk, { baseDir: s.dir }));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string(), (text) => {
      onlyManifestError(() => parseManifest(`${MINIMAL}${text}`, { baseDir: s.dir }));
      onlyManifestError(() => parseManifest(text, { baseDir: s.dir }));
    }),
    { numRuns: 300 },
  );
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
