/** The manifest → Deno permission mapping, checked as data and inside a real Worker/child. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Manifest, manifestFromObject } from "../../sandbox/manifest.ts";
import { describePermissions, processFlags, workerPermissions } from "../../sandbox/permissions.ts";

const KEYS = ["env", "ffi", "import", "net", "read", "run", "sys", "write"];

interface Fixture {
  dir: string;
  real: string;
  m: Manifest;
  done: () => Promise<void>;
}

/** A sandbox with code, a read-write and a read-only mount, a tmpfs, a trusted file, net, audit. */
async function fixture(extra: Record<string, unknown> = {}): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "sandpiper_perm_" });
  for (const d of ["app", "rw", "ro", "lib"]) await Deno.mkdir(join(dir, d));
  await Deno.writeTextFile(join(dir, "app", "main.js"), "");
  await Deno.writeTextFile(join(dir, "lib", "libc.so"), "elf");
  const m = manifestFromObject({
    loader: { entrypoint: "app/main.js" },
    fs: {
      mounts: [
        { path: "/rw", uri: "file:rw" },
        { path: "/ro", uri: "file:ro", readonly: true },
        { path: "/tmp", type: "tmpfs" },
      ],
      trusted_files: [{ uri: "file:lib/libc.so", sha256: "0".repeat(64) }],
    },
    net: { connect: ["example.com:443", "10.1.2.3:5432"], listen: ["127.0.0.1:8080"] },
    sys: { audit: "audit.jsonl", max_memory: "96M" },
    ...extra,
  }, { baseDir: dir });
  const real = await Deno.realPath(dir);
  return { dir, real, m, done: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("workerPermissions sets every permission key explicitly, never inherit", async () => {
  const f = await fixture();
  for (const role of ["host", "guest"] as const) {
    const p = workerPermissions(f.m, role);
    assert.deepEqual(Object.keys(p).sort(), KEYS, role);
    for (const [k, v] of Object.entries(p)) {
      assert.ok(v === false || (Array.isArray(v) && v.length > 0), `${role}.${k} = ${String(v)}`);
    }
  }
  await f.done();
});

Deno.test("the guest role may read only its code and never write, env, run, ffi, sys, import", async () => {
  const f = await fixture();
  assert.deepEqual(workerPermissions(f.m, "guest"), {
    read: [join(f.real, "app")],
    write: false,
    net: ["example.com:443", "10.1.2.3:5432", "127.0.0.1:8080"],
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  });
  await f.done();
});

Deno.test("the host role reads code, mounts and trusted files and writes rw mounts and audit", async () => {
  const f = await fixture();
  assert.deepEqual(workerPermissions(f.m, "host", { extraRead: ["/opt/sandpiper"] }), {
    read: [
      "/opt/sandpiper",
      join(f.real, "app"),
      join(f.real, "lib", "libc.so"),
      join(f.real, "ro"),
      join(f.real, "rw"),
    ],
    write: [join(f.real, "audit.jsonl"), join(f.real, "rw")],
    net: ["example.com:443", "10.1.2.3:5432", "127.0.0.1:8080", "127.0.0.1", "0.0.0.0:0"],
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  });
  await f.done();
});

Deno.test("empty grants become false and nested paths collapse into their ancestor", async () => {
  const f = await fixture({
    fs: { mounts: [{ path: "/", uri: "file:." }, { path: "/app", uri: "file:app" }] },
    net: {},
    sys: {},
  });
  const host = workerPermissions(f.m, "host");
  assert.deepEqual(host.read, [f.real]);
  assert.deepEqual(host.write, [f.real]);
  assert.equal(host.net, false);
  const ro = await fixture({ fs: {}, net: {}, sys: {} });
  assert.equal(workerPermissions(ro.m, "host").write, false);
  assert.equal(workerPermissions(ro.m, "guest").net, false);
  await f.done();
  await ro.done();
});

Deno.test("processFlags narrows a deno run child to the host role with a heap cap", async () => {
  const f = await fixture();
  assert.deepEqual(processFlags(f.m, ["/opt/sandpiper"]), [
    "--no-prompt",
    "--no-remote",
    "--no-npm",
    "--no-config",
    "--unstable-worker-options",
    "--unstable-net",
    `--allow-read=/opt/sandpiper,${join(f.real, "app")},${join(f.real, "lib", "libc.so")},${
      join(f.real, "ro")
    },${join(f.real, "rw")}`,
    `--allow-write=${join(f.real, "audit.jsonl")},${join(f.real, "rw")}`,
    "--allow-net=example.com:443,10.1.2.3:5432,127.0.0.1:8080,127.0.0.1,0.0.0.0:0",
    "--v8-flags=--max-old-space-size=96",
  ]);
  assert.throws(() => processFlags(f.m, ["/a,b"]), RangeError);
  await f.done();
});

Deno.test("processFlags never emits a bare or unlisted --allow flag", async () => {
  const f = await fixture({ fs: {}, net: {}, sys: {} });
  const flags = processFlags(f.m, []);
  assert.ok(!flags.some((x) => /^--allow-(write|net|env|run|ffi|sys|import|all)/.test(x)));
  assert.ok(!flags.some((x) => /^--allow-read$|^-A$/.test(x)));
  assert.ok(flags.includes(`--allow-read=${join(f.real, "app")}`));
  await f.done();
});

/**
 * Source of a probe that tries each operation for real and reports "ok" or the error name;
 * net is only queried ("granted" or "no"), so the test needs no network.
 */
function probeSource(f: Fixture, post: string): string {
  const p = (...parts: string[]) => JSON.stringify(join(f.real, ...parts));
  return `const attempt = (fn) => { try { fn(); return "ok"; } catch (e) { return e.name; } };
const net = (host) => Deno.permissions.querySync({ name: "net", host }).state === "granted"
  ? "granted" : "no";
const out = [
  attempt(() => Deno.readDirSync(${p("app")})),
  attempt(() => Deno.readDirSync(${p("rw")})),
  attempt(() => Deno.readDirSync("/etc")),
  attempt(() => Deno.writeTextFileSync(${p("rw", "x")}, "x")),
  attempt(() => Deno.writeTextFileSync(${p("ro", "x")}, "x")),
  net("example.com:443"),
  net("example.com:80"),
  attempt(() => Deno.env.get("HOME")),
  attempt(() => new Deno.Command("true").outputSync()),
  attempt(() => Deno.hostname()),
];
${post}
`;
}

Deno.test("a Worker given the guest permissions is denied everything else", async () => {
  const f = await fixture();
  const file = join(f.dir, "probe.js");
  await Deno.writeTextFile(file, probeSource(f, "self.postMessage(out);"));
  const w = new Worker(new URL(`file://${file}`), {
    type: "module",
    deno: { permissions: workerPermissions(f.m, "guest") },
  });
  const results = await new Promise<string[]>((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => reject(new Error(e.message));
  });
  w.terminate();
  assert.deepEqual(results, [
    "ok", // read code
    "NotCapable", // read rw mount (only through the host)
    "NotCapable", // read /etc
    "NotCapable", // write rw mount
    "NotCapable", // write ro mount
    "granted", // net listed
    "no", // net, other port
    "NotCapable", // env
    "NotCapable", // run
    "NotCapable", // sys
  ]);
  await f.done();
});

Deno.test("a deno run child started with processFlags holds exactly the host grants", async () => {
  const f = await fixture();
  const file = join(f.dir, "probe.js");
  await Deno.writeTextFile(file, probeSource(f, "console.log(JSON.stringify(out));"));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...processFlags(f.m, []), file],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), [
    "ok",
    "ok",
    "NotCapable",
    "ok",
    "NotCapable",
    "granted",
    "no",
    "NotCapable",
    "NotCapable",
    "NotCapable",
  ]);
  await f.done();
});

Deno.test("a deno run child started with processFlags dies alone past sys.max_memory", async () => {
  const f = await fixture({ sys: { max_memory: "32M" } });
  const file = join(f.dir, "bomb.js");
  await Deno.writeTextFile(
    file,
    "const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length));\n",
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...processFlags(f.m, []), file],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.notEqual(out.code, 0);
  assert.match(new TextDecoder().decode(out.stderr), /heap/i);
  await f.done();
});

Deno.test("describePermissions shows each permission for host and picoprocess", async () => {
  const f = await fixture();
  const table = describePermissions(f.m);
  assert.match(table, /^isolation: process \(own deno run child, V8 heap cap 96 MiB\)\n/);
  for (const k of KEYS) assert.match(table, new RegExp(`^${k}\\s`, "m"), k);
  assert.match(table, /^write\s+\S+audit\.jsonl\s+no$/m);
  assert.match(table, /^env\s+no\s+no$/m);
  await f.done();
});
