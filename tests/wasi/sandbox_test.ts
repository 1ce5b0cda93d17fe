/** WASI programs (committed C fixtures, sources in c/) run in real sandboxes through the libOS. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { manifestFromObject } from "../../sandbox/manifest.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const dec = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run fixture `name` (or raw bytes) with `mounts`, in a fresh temp dir with a `data` folder. */
async function run(
  name: string | Uint8Array,
  opts: { argv?: string[]; stdin?: string; mounts?: unknown[]; data?: Record<string, string> } = {},
): Promise<Run> {
  const dir = Deno.makeTempDirSync({ prefix: "wasi-test-" });
  Deno.mkdirSync(join(dir, "code"));
  Deno.mkdirSync(join(dir, "data"));
  for (const [f, text] of Object.entries(opts.data ?? {})) {
    Deno.writeTextFileSync(join(dir, "data", f), text);
  }
  const file = join(dir, "code", "prog.wasm");
  if (typeof name === "string") Deno.copyFileSync(join(FIXTURES, `${name}.wasm`), file);
  else Deno.writeFileSync(file, name);
  const m = manifestFromObject({
    loader: {
      entrypoint: "code/prog.wasm",
      argv: opts.argv ?? ["prog"],
      env: { GREETING: "hello from the manifest" },
    },
    fs: { mounts: opts.mounts ?? [] },
    sys: { wall_time: "20s", isolation: "worker" },
  }, { baseDir: dir });
  try {
    await using sb = await Sandbox.create(m);
    const out = await sb.run(opts.stdin === undefined ? {} : { stdin: opts.stdin });
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("a C program gets argv and env from the manifest and its exit code is the process's", async () => {
  const r = await run("hello", { argv: ["hello", "x y"] });
  assert.equal(r.stdout, "arg0=hello\narg1=x y\nGREETING=hello from the manifest\n");
  assert.equal(r.stderr, "to stderr\n");
  assert.equal(r.code, 2);
});

Deno.test("fd_read on stdin blocks until the host writes and ends at EOF", async () => {
  const text = "line one\nline two\n".repeat(50);
  const r = await run("cat", { stdin: text });
  assert.equal(r.stdout, text);
  assert.equal(r.stderr, `copied ${text.length}\n`);
});

Deno.test("files and directories beneath a preopened tmpfs and a host directory", async (t) => {
  await t.step("tmpfs", async () => {
    const r = await run("files", {
      argv: ["files", "/tmp"],
      mounts: [{ path: "/tmp", type: "tmpfs" }],
    });
    assert.equal(r.stdout, "files ok\n", r.stderr);
  });
  await t.step("host directory (symlinks emulated by the narrowed host)", async () => {
    const r = await run("files", {
      argv: ["files", "/data"],
      mounts: [{ path: "/data", uri: "file:data" }],
    });
    assert.equal(r.stdout, "files ok\n", r.stderr);
  });
});

Deno.test("fd_readdir: an entry with d_ino 0 can be fstatat()ed, so '..' carries an inode (wasi-libc scandir)", async (t) => {
  await t.step("tmpfs", async () => {
    const r = await run("readdir_ino", {
      argv: ["readdir_ino", "/tmp"],
      mounts: [{ path: "/tmp", type: "tmpfs" }],
    });
    assert.equal(r.stdout, "readdir_ino ok\n", r.stderr);
  });
  await t.step("host directory", async () => {
    const r = await run("readdir_ino", {
      argv: ["readdir_ino", "/data"],
      mounts: [{ path: "/data", uri: "file:data" }],
    });
    assert.equal(r.stdout, "readdir_ino ok\n", r.stderr);
  });
});

Deno.test("the program cannot reach host files outside its mounts", async () => {
  const r = await run("files", {
    argv: ["files", "/data"],
    mounts: [{ path: "/data", uri: "file:data", readonly: true }],
  });
  assert.match(r.stdout, /FAIL .*mkdir/);
  assert.notEqual(r.code, 0);
});

Deno.test("out-of-bounds pointers answer fault (21) in every call and the program goes on", async () => {
  const r = await run("badptr", { mounts: [{ path: "/tmp", type: "tmpfs" }] });
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.at(-1), "alive");
  for (const l of lines.slice(0, -1)) assert.match(l, /=21$/, l);
  assert.equal(r.code, 0);
});

Deno.test("a trapping program exits 134 with the trap on stderr; the sandbox stays usable", async () => {
  const r = await run("trap");
  assert.equal(r.code, 134);
  assert.equal(r.stdout, "before trap\n");
  assert.match(r.stderr, /sandpiper: wasm trap: unreachable/);
});

Deno.test("bad modules: not wasm and unknown imports exit 126 with a clear message", async (t) => {
  await t.step("not wasm", async () => {
    const r = await run(new TextEncoder().encode("\0asm but not really"));
    assert.equal(r.code, 126);
    assert.match(r.stderr, /not a valid WebAssembly module/);
  });
  await t.step("unknown import", async () => {
    const r = await run("unknown_import");
    assert.equal(r.code, 126);
    assert.match(r.stderr, /unknown imports: env\.does_not_exist/);
  });
});
