/**
 * Shared by the hostile suite: a temp world (a secret outside every mount, a mount holding a
 * symlink to the outside, a read-only mount), manifests for attacker guests, and a neighbour —
 * a second sandbox that runs a small known workload while the attack goes on and must finish
 * it correctly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Isolation } from "../../sandbox/manifest.ts";
import { type ProcessOutput, Sandbox } from "../../sandbox/sandbox.ts";

/** The fixtures directory (attacker guests' code directory). */
export const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
/** Boot with no libOS: the guest holds raw Deno and a bare PAL client. */
export const RAW_BOOT = new URL("../sandbox/fixtures/raw_boot.ts", import.meta.url).href;
/** The text that must never appear in any guest output. */
export const SECRET = "TOP-SECRET-7f3a";

/** A temp world for one attack. */
export interface World {
  readonly root: string;
  readonly outside: string;
  readonly mount: string;
  readonly ro: string;
  /** Write a manifest for `entry` (a file in FIXTURES) and return its path. */
  manifest(entry: string, opts?: ManifestOpts): Promise<string>;
  dispose(): Promise<void>;
}

/** Manifest knobs of an attacker. */
export interface ManifestOpts {
  argv?: string[];
  isolation?: Isolation;
  /** Extra TOML appended under `[sys]` (e.g. `max_fds = 16`). */
  sys?: string;
  /** Extra top-level TOML (e.g. a `[net]` table). */
  extra?: string;
  env?: Record<string, string>;
}

/** Make a world: outside/secret.txt, mount/ (data.txt, escape → outside), ro/. */
export async function makeWorld(): Promise<World> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandpiper-hostile-" }));
  const outside = join(root, "outside");
  const mount = join(root, "mount");
  const ro = join(root, "ro");
  for (const d of [outside, mount, ro]) await Deno.mkdir(d);
  await Deno.writeTextFile(join(outside, "secret.txt"), SECRET);
  await Deno.writeTextFile(join(outside, "secret.json"), JSON.stringify({ s: SECRET }));
  await Deno.writeTextFile(join(outside, "secret.js"), `export default "${SECRET}";`);
  await Deno.writeTextFile(join(mount, "data.txt"), "public data");
  await Deno.writeTextFile(join(ro, "keep.txt"), "read-only data");
  await Deno.symlink(outside, join(mount, "escape"));
  let n = 0;
  return {
    root,
    outside,
    mount,
    ro,
    async manifest(entry, opts = {}) {
      const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
      const toml = [
        "[loader]",
        `entrypoint = ${JSON.stringify(join(FIXTURES, entry))}`,
        `argv = ${JSON.stringify([entry, ...(opts.argv ?? [])])}`,
        ...(env.length ? ["[loader.env]", ...env] : []),
        "[[fs.mounts]]",
        `path = "/data"`,
        `uri = ${JSON.stringify(`file:${mount}`)}`,
        "[[fs.mounts]]",
        `path = "/ro"`,
        `uri = ${JSON.stringify(`file:${ro}`)}`,
        "readonly = true",
        "[[fs.mounts]]",
        `path = "/tmp"`,
        `type = "tmpfs"`,
        `size = "1M"`,
        opts.extra ?? "",
        "[sys]",
        `isolation = "${opts.isolation ?? "worker"}"`,
        opts.sys?.includes("wall_time") ? "" : `wall_time = "60s"`,
        opts.sys ?? "",
      ].join("\n");
      const file = join(root, `m${n++}.toml`);
      await Deno.writeTextFile(file, toml);
      return file;
    },
    dispose: () => Deno.remove(root, { recursive: true }),
  };
}

const NEIGHBOUR_LINES = 200;

/**
 * Run the neighbour's known workload (tmpfs write, read back, checksum) in its own sandbox and
 * check its output. Start it while the attack runs; await it after.
 */
export async function neighbour(isolation: Isolation = "worker"): Promise<void> {
  const w = await makeWorld();
  try {
    const m = await w.manifest("neighbour.ts", { argv: [String(NEIGHBOUR_LINES)], isolation });
    await using sb = await Sandbox.create(m);
    const out = await sb.run();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `neighbour failed: ${text}${new TextDecoder().decode(out.stderr)}`);
    assert.equal(text, `neighbour ok ${expectedSum(NEIGHBOUR_LINES)}\n`);
  } finally {
    await w.dispose();
  }
}

/** The checksum neighbour.ts prints for `n` lines. */
function expectedSum(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (const c of `line ${i}\n`) s = (s * 31 + c.charCodeAt(0)) >>> 0;
  return s;
}

/** One attack result line printed by an attacker fixture. */
export interface AttackResult {
  readonly name: string;
  readonly ok: boolean;
  readonly value?: string;
  readonly error?: string;
}

/** Parse the JSON lines of an attacker's stdout. */
export function results(out: ProcessOutput): Map<string, AttackResult> {
  const m = new Map<string, AttackResult>();
  const text = new TextDecoder().decode(out.stdout);
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line) as AttackResult;
    if (typeof r.name === "string") m.set(r.name, r);
  }
  return m;
}

/** Fail if the secret appears anywhere in a run's output. */
export function assertNoSecret(out: ProcessOutput): void {
  const all = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(!all.includes(SECRET), `the secret leaked: ${all.slice(0, 500)}`);
}

/** Check the sandbox host still serves: a fresh process in it runs to completion. */
export async function assertHostAlive(sb: Sandbox): Promise<void> {
  const out = await sb.run({ argv: ["alive", "alive"] });
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}
