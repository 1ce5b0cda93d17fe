/**
 * The PAL conformance suite: one guest program (fixtures/conformance_guest.ts) that exercises the
 * host ABI, run against each PAL host implementation. `runPalConformance` registers one test per
 * host with a step per check; `skip` names checks a host cannot pass, each with a reason.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { freePort } from "../_net.ts";

/** A check to skip on one host, and why. */
export interface Skip {
  readonly reason: string;
  readonly checks: readonly string[];
}

/** One PAL host implementation under test. */
export interface PalHostUnderTest {
  readonly name: string;
  /** Run the guest in a sandbox made from `manifestPath`; return its stdout and exit code. */
  run(manifestPath: string): Promise<{ code: number; stdout: string; stderr: string }>;
  readonly skip?: readonly Skip[];
}

const RAW_BOOT = new URL("../sandbox/fixtures/raw_boot.ts", import.meta.url).href;

/** Hosts reached through the public Sandbox API. */
export function sandboxHost(isolation: "worker" | "process"): PalHostUnderTest {
  return {
    name: `sandbox host (${isolation} isolation)`,
    async run(manifestPath) {
      await using sb = await Sandbox.create(manifestPath, { isolation, bootUrl: RAW_BOOT });
      const out = await sb.run();
      const d = new TextDecoder();
      return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
    },
  };
}

async function world(): Promise<{ root: string; manifest: string }> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandpiper-palconf-" }));
  for (const d of ["app", "rw", "ro"]) await Deno.mkdir(join(root, d));
  await Deno.writeTextFile(join(root, "ro", "keep.txt"), "keep");
  await Deno.copyFile(
    new URL("./fixtures/conformance_guest.ts", import.meta.url),
    join(root, "app", "guest.ts"),
  );
  const port = freePort();
  const manifest = join(root, "app", "pal.toml");
  await Deno.writeTextFile(
    manifest,
    `[loader]
entrypoint = "guest.ts"
argv = ["guest", "${port}"]

[[fs.mounts]]
path = "/a"
uri = "file:../rw"

[[fs.mounts]]
path = "/b"
type = "tmpfs"
size = "8M"

[[fs.mounts]]
path = "/c"
uri = "file:../ro"
readonly = true

[net]
connect = ["127.0.0.1:${port}", "127.0.0.1:${port + 1}x"]
listen = ["127.0.0.1:${port}"]
`.replace(`, "127.0.0.1:${port + 1}x"`, ""),
  );
  return { root, manifest };
}

/** Run the conformance program once in a fresh sandbox; returns every check's result. */
export async function runPalConformanceOnce(
  isolation: "worker" | "process",
): Promise<{ name: string; ok: boolean; detail?: string }[]> {
  const { root, manifest } = await world();
  try {
    const out = await sandboxHost(isolation).run(manifest);
    if (out.code !== 0) throw new Error(`conformance guest exited ${out.code}: ${out.stderr}`);
    return out.stdout.trim().split("\n").map((l) => JSON.parse(l));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Register the suite for one host. */
export function runPalConformance(host: PalHostUnderTest): void {
  Deno.test(`PAL conformance: ${host.name}`, async (t) => {
    const { root, manifest } = await world();
    try {
      const out = await host.run(manifest);
      assert.equal(out.code, 0, `guest exited ${out.code}: ${out.stdout}${out.stderr}`);
      const results = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(results.length >= 20, `only ${results.length} checks reported`);
      const skipped = new Map<string, string>();
      for (const s of host.skip ?? []) for (const c of s.checks) skipped.set(c, s.reason);
      for (const r of results) {
        await t.step({
          name: r.name,
          ignore: skipped.has(r.name),
          fn: () => assert.ok(r.ok, r.detail),
        });
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}
