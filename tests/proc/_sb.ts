/** Test helper: a real sandbox running tests/proc/fixtures/<fixture>.ts scenarios (procs.ts). */
import { Sandbox } from "../../sandbox/sandbox.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** Isolation levels every promise is checked under. */
export const LEVELS = ["worker", "process"] as const;

/** Open a sandbox over the fixtures (code at /code, a tmpfs at /tmp). */
export async function openSandbox(
  isolation: "worker" | "process",
  opts: { maxProcesses?: number; fixture?: string } = {},
): Promise<{ sb: Sandbox; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sp_proc_" });
  const toml = [
    "[loader]",
    `entrypoint = "${FIXTURES}${opts.fixture ?? "procs"}.ts"`,
    `argv = ["${opts.fixture ?? "procs"}"]`,
    "[fs]",
    'root = "/"',
    `mounts = [{ path = "/tmp", type = "tmpfs", size = "4M" }, { path = "/code", uri = "file:${FIXTURES}", readonly = true }]`,
    "[sys]",
    `isolation = "${isolation}"`,
    `max_processes = ${opts.maxProcesses ?? 16}`,
    'wall_time = "60s"',
  ].join("\n");
  await Deno.writeTextFile(`${dir}/app.toml`, toml);
  const sb = await Sandbox.create(`${dir}/app.toml`, { isolation });
  return { sb, dir };
}

/** A manifest for fixture `<fixture>.ts` with `mounts` (TOML inline tables) and the fixtures,
 * read-only, at /code; `fs` adds lines to [fs]. */
export function fixtureManifest(
  fixture: string,
  isolation: "worker" | "process",
  mounts: string[],
  fs: string[] = [],
): string {
  return [
    "[loader]",
    `entrypoint = "${FIXTURES}${fixture}.ts"`,
    `argv = ["${fixture}"]`,
    "[fs]",
    ...fs,
    "mounts = [",
    ...mounts.map((m) => `  ${m},`),
    `  { path = "/code", uri = "file:${FIXTURES}", readonly = true },`,
    "]",
    "[sys]",
    `isolation = "${isolation}"`,
    'wall_time = "60s"',
  ].join("\n");
}

/** Run scenario `name` in a fresh sandbox; returns its JSON report, stdout and code. */
export async function scenario(
  isolation: "worker" | "process",
  name: string,
  opts: { maxProcesses?: number; args?: string[]; fixture?: string } = {},
): Promise<{ report: Record<string, unknown>; stdout: string; stderr: string; code: number }> {
  const { sb, dir } = await openSandbox(isolation, opts);
  try {
    const out = await sb.run({ argv: [opts.fixture ?? "procs", name, ...(opts.args ?? [])] });
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
    if (!line) throw new Error(`no report (code ${out.code}): ${stdout}\n${stderr}`);
    return { report: JSON.parse(line), stdout, stderr, code: out.code };
  } finally {
    await sb.close();
    await Deno.remove(dir, { recursive: true });
  }
}
