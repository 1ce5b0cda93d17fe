/** Manifest errors: every problem names the file and the key. */
import assert from "node:assert/strict";
import { errorOf, MINIMAL } from "./_manifest_util.ts";

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
      "read cache too large",
      `${MINIMAL}[fs]\nread_cache = "2G"\n`,
      "fs.read_cache",
      /fs\.read_cache: must be at most 1073741824 bytes/,
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
