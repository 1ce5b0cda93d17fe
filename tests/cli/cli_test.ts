// The sandpiper CLI as a user runs it: a real `deno run` of cli/main.ts on manifests in temp dirs.
import assert from "node:assert/strict";
import { join } from "node:path";

const CLI = new URL("../../cli/main.ts", import.meta.url).pathname;

async function sandpiper(
  args: string[],
  stdin = "",
): Promise<{ code: number; out: string; err: string }> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-all", CLI, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const o = await p.output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout), err: d.decode(o.stderr) };
}

async function app(toml: string, code: string): Promise<{ dir: string; manifest: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sandpiper-cli-" });
  await Deno.writeTextFile(join(dir, "app.ts"), code);
  await Deno.mkdir(join(dir, "data"));
  await Deno.writeTextFile(join(dir, "data", "t.txt"), "trusted content\n");
  await Deno.writeTextFile(join(dir, "app.toml"), `[loader]\nentrypoint = "app.ts"\n${toml}`);
  return { dir, manifest: join(dir, "app.toml") };
}

Deno.test("run: the exit code, stdout, stderr and arguments are the app's", async () => {
  const { dir, manifest } = await app(
    `argv = ["app"]\n`,
    `console.log("args", Deno.args.join(","));\nconsole.error("warn");\n` +
      `console.log("in", (await new Response(Deno.stdin.readable).text()).trim());\nDeno.exit(7);\n`,
  );
  try {
    for (const iso of ["worker", "process"]) {
      const r = await sandpiper(["run", "--isolation", iso, manifest, "--", "a", "b c"], "hello");
      assert.equal(r.code, 7, r.err);
      assert.equal(r.out, "args a,b c\nin hello\n");
      assert.equal(r.err, "warn\n");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run: an uncaught error is exit 1 with the error on stderr", async () => {
  const { dir, manifest } = await app("", `throw new RangeError("out of range here");\n`);
  try {
    const r = await sandpiper(["run", manifest]);
    assert.equal(r.code, 1);
    assert.match(r.err, /RangeError: out of range here/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check: prints the policy and the Deno permission set of a valid manifest", async () => {
  const { dir, manifest } = await app(
    `[[fs.mounts]]\npath = "/data"\nuri = "file:data"\nreadonly = true\n[net]\nconnect = ["127.0.0.1:8080"]\n`,
    "",
  );
  try {
    const r = await sandpiper(["check", manifest]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\/data\s+chroot ro/);
    assert.match(r.out, /net\s+127\.0\.0\.1:8080\s+127\.0\.0\.1:8080/);
    assert.match(r.out, /env\s+no\s+no/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: a one-line error naming the key or path, exit ≠ 0, no stack trace", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["unknown key", `[sys]\nmax_procs = 3\n`, /unknown key sys\.max_procs/],
    ["wrong type", `[sys]\nmax_processes = "many"\n`, /sys\.max_processes/],
    ["TOML syntax", `[sys\n`, /line \d+/],
    [
      "missing mount dir",
      `[[fs.mounts]]\npath = "/x"\nuri = "file:nope"\n`,
      /fs\.mounts\[0\]\.uri: .*nope/,
    ],
    ["missing entrypoint", "", /loader\.entrypoint/],
  ];
  for (const [name, toml, want] of cases) {
    await t.step(name, async () => {
      const { dir, manifest } = await app(toml, "");
      try {
        if (name === "missing entrypoint") await Deno.remove(join(dir, "app.ts"));
        for (const cmd of ["check", "run"]) {
          const r = await sandpiper([cmd, manifest]);
          assert.notEqual(r.code, 0);
          assert.match(r.err, want);
          assert.doesNotMatch(r.err, /\n\s+at /, "a stack trace was printed");
          assert.equal(r.err.trim().split("\n").length, 1, r.err);
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("a trusted file whose sha256 does not match: check fails, the app is refused with the reason", async () => {
  const wrong = "0".repeat(64);
  const { dir, manifest } = await app(
    `[[fs.mounts]]\npath = "/data"\nuri = "file:data"\n[[fs.trusted_files]]\nuri = "file:data/t.txt"\nsha256 = "${wrong}"\n`,
    `console.log(await Deno.readTextFile("/data/t.txt"));\n`,
  );
  try {
    const c = await sandpiper(["check", manifest]);
    assert.equal(c.code, 1);
    assert.match(c.err, /fs\.trusted_files\[0\]\.sha256/);
    const r = await sandpiper(["run", manifest]);
    assert.equal(r.code, 1);
    assert.match(r.err, /PermissionDenied.*\/data\/t\.txt.*sha256 does not match/);
    // The app's own code is visible at its host path (the code mount, so the error's stack names
    // app.ts there); the data mount's host path is not.
    assert.doesNotMatch(r.err, new RegExp(`${dir}/data`), "a mount's host path reached the guest");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--help and usage errors", async () => {
  const h = await sandpiper(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.out, /sandpiper run <manifest\.toml>/);
  const u = await sandpiper(["frobnicate", "x.toml"]);
  assert.equal(u.code, 2);
  const i = await sandpiper(["run", "--isolation", "vm", "x.toml"]);
  assert.equal(i.code, 2);
  assert.match(i.err, /--isolation must be/);
});

Deno.test("deno task start: the demo shows what is granted and what is refused", async () => {
  const r = await sandpiper([
    "run",
    new URL("../../manifests/demo.toml", import.meta.url).pathname,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /read \/data\/welcome\.txt\s+Welcome to Sandpiper/);
  assert.match(r.out, /write \+ read \/tmp\/notes\.txt\s+written inside the sandbox/);
  assert.match(r.out, /read \/etc\/passwd\s+refused/);
  assert.match(r.out, /connect example\.com:80 \(not listed\)\s+refused/);
  assert.doesNotMatch(r.out, /ALLOWED/);
});
