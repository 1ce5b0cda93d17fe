// Attacks by a guest that bypasses the libOS: raw Deno APIs, a bare PAL client, raw writes to its
// call page, garbage posted to its parent. Each test fails if the attack works; each also checks
// that the attacker's host still serves and that a neighbouring sandbox finished its work.
import assert from "node:assert/strict";
import type { Isolation } from "../../sandbox/manifest.ts";
import { Sandbox } from "../../sandbox/sandbox.ts";
import {
  assertHostAlive,
  assertNoSecret,
  makeWorld,
  neighbour,
  RAW_BOOT,
  results,
} from "./_world.ts";

/** attack name → what its failure must look like (the right refusal, not a fixture bug). */
const ATTACKS: Record<string, RegExp> = {
  "deno-read-outside": /NotCapable/,
  "deno-read-dotdot": /NotCapable/,
  "deno-read-symlink-in-mount": /NotCapable/,
  "deno-read-file-url": /NotCapable/,
  "deno-read-proc-root": /NotCapable/,
  "deno-read-proc-environ": /NotCapable/,
  "deno-read-etc-passwd": /NotCapable/,
  "deno-write-code-dir": /NotCapable/,
  "deno-write-tmp": /NotCapable/,
  "deno-env": /NotCapable/,
  "deno-env-object": /NotCapable/,
  "deno-run": /NotCapable/,
  "deno-ffi": /NotCapable/,
  "deno-sys-hostname": /NotCapable/,
  "deno-sys-interfaces": /NotCapable/,
  "deno-chmod-outside": /NotCapable/,
  "deno-stdout-forged-frame": /BadResource/,
  "node-stdout-forged-frame": /BadResource/,
  "deno-stdin-steal": /BadResource/,
  "broadcast-channel": /NotCapable: BroadcastChannel is not available/,
  "deno-chdir-process": /NotCapable: Deno.chdir is not available/,
  "deno-signal-listener": /NotCapable: Deno.addSignalListener is not available/,
  "worker-chdir-process": /NotCapable: Worker is not available/,
  "deno-net-unlisted-host": /NotCapable/,
  "deno-net-unlisted-port": /NotCapable/,
  "deno-listen-unlisted": /NotCapable/,
  "deno-fetch-remote": /NotCapable/,
  "import-local-json": /Requires read access/,
  "import-local-js": /Requires read access/,
  "import-https": /import access/,
  "import-jsr": /import access/,
  "import-data-url-reads": /NotCapable/,
  "import-blob-url-reads": /NotCapable/,
  "worker-escalation-read": /NotCapable|permission/i,
  "worker-inherit-env": /NotCapable/,
  "worker-escalation-run": /NotCapable|permission/i,
  "pal-dotdot": /PalError/,
  "pal-absolute": /PalError/,
  "pal-symlink-escape": /PalError/,
  "pal-symlink-dir-escape": /PalError/,
  "pal-case-trick": /PalError/,
  "pal-unicode-slash": /PalError/,
  "pal-fullwidth-dots": /PalError/,
  "pal-nul-truncation": /PalError/,
  "pal-percent-encoding": /PalError/,
  "pal-backslash": /PalError/,
  "pal-overlong-path": /PalError/,
  "pal-write-readonly": /PalError: read-only/,
  "pal-truncate-readonly": /PalError: read-only/,
  "pal-mkdir-readonly": /PalError: read-only/,
  "pal-delete-readonly": /PalError/,
  "pal-rename-across-mounts": /PalError/,
  "pal-setsize-readonly": /PalError/,
  "pal-no-such-mount": /PalError/,
  "pal-cached-dotdot": /PalError/,
  "pal-cached-symlink-escape": /PalError/,
  "pal-cached-write-readonly": /PalError: read-only/,
  "pal-cached-not-a-file": /PalError: not a file: URI/,
  "pal-net-unlisted": /PalError: connect to 127\.0\.0\.1:1 is not granted/,
  "pal-listen-unlisted": /PalError: listen on 0\.0\.0\.0:0 is not granted/,
  "pal-forged-handles": /no forged handle answered/,
  "pal-prefetch-forged": /every forged prefetch was refused/,
  "pal-post-forged": /every forged posted write was refused/,
  "ring-garbage-slots": /every garbage slot got an error/,
  "post-garbage-to-parent": /the host ignores guest messages/,
};

/** Attacks that need a fresh `deno run` (a Worker of this test process would download). */
const PROCESS_ONLY = new Set(["import-npm", "import-npm-literal"]);
/** Attacks on the process's own stdio: in `process` isolation its stdout is the host's control
 * channel, so they run under both levels. */
const BOTH_LEVELS = new Set([
  "deno-stdout-forged-frame",
  "node-stdout-forged-frame",
  "deno-stdin-steal",
  "broadcast-channel",
  "deno-chdir-process",
  "deno-signal-listener",
  "worker-chdir-process",
]);
ATTACKS["import-npm"] = /--no-npm/;
ATTACKS["import-npm-literal"] = /--no-npm/;

async function runAttack(attack: string, want: RegExp, isolation: Isolation): Promise<void> {
  const w = await makeWorld();
  // A guest's BroadcastChannel would reach this thread (the embedding app's).
  const heard: unknown[] = [];
  const cwd = Deno.cwd();
  const bc = new BroadcastChannel("sandpiper-test-broadcast");
  bc.onmessage = (e) => heard.push(e.data);
  try {
    const m = await w.manifest("raw_attacks.ts", {
      argv: [attack, w.outside, w.mount],
      isolation,
    });
    const sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
    try {
      const [out] = await Promise.all([
        sb.run({ argv: ["raw_attacks.ts", attack, w.outside, w.mount] }),
        neighbour(),
      ]);
      assertNoSecret(out);
      const r = results(out).get(attack);
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      if (!r && PROCESS_ONLY.has(attack)) {
        // A literal npm: import may already fail when the guest's module graph is built (Deno
        // resolves it eagerly once the lock file knows the package): the module never ran.
        assert.notEqual(out.code, 0, `the guest module loaded: ${text}`);
        assert.match(text, /npm/, `refused for another reason: ${text}`);
      } else {
        assert.ok(r, `no report: ${text}`);
        assert.equal(r.ok, false, `the attack worked: ${r.value}`);
        assert.match(String(r.error), want);
      }
      assert.ok(!new TextDecoder().decode(out.stdout).includes("forged output"));
      await assertHostAlive(sb);
    } finally {
      await sb.close();
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(heard, [], "a guest's BroadcastChannel message reached the embedding app");
    assert.equal(Deno.cwd(), cwd, "a guest moved the embedding app's cwd");
    // Nothing was written where the guest had no write grant.
    assert.deepEqual([...Deno.readDirSync(w.ro)].map((e) => e.name), ["keep.txt"]);
    assert.equal(Deno.readTextFileSync(`${w.ro}/keep.txt`), "read-only data");
  } finally {
    bc.close();
    await w.dispose();
  }
}

for (const [attack, want] of Object.entries(ATTACKS)) {
  const levels: Isolation[] = BOTH_LEVELS.has(attack)
    ? ["worker", "process"]
    : [PROCESS_ONLY.has(attack) ? "process" : "worker"];
  for (const isolation of levels) {
    Deno.test(`hostile (raw): ${attack} fails, the host and a neighbour carry on (${isolation})`, () =>
      runAttack(attack, want, isolation));
  }
}
