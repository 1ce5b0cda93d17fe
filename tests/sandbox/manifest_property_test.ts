/** Property tests of manifest resolution (fast-check). */
import assert from "node:assert/strict";
import fc from "fast-check";
import { manifestFromObject, parseManifest } from "../../sandbox/manifest.ts";
import { ManifestError } from "../../sandbox/errors.ts";
import { MINIMAL, sandboxDir } from "./_manifest_util.ts";

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
