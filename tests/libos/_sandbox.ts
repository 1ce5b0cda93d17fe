/** Test helper: run a guest program in a real sandbox built from a generated manifest. */
import { Sandbox } from "../../sandbox/sandbox.ts";

/** A mount line of the generated manifest. */
export type MountSpec =
  | { path: string; type: "tmpfs"; size?: string; readonly?: boolean }
  | { path: string; hostDir: string; readonly?: boolean };

/** What a guest run produced. */
export interface GuestRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Write a manifest for `entry` with `mounts` into a temp dir and run it once.
 * @param entry absolute path of the guest program
 */
export async function runGuest(opts: {
  entry: string;
  mounts: MountSpec[];
  argv?: string[];
  env?: Record<string, string>;
  cwd?: string;
  maxFds?: number;
  stdin?: string;
  extra?: string;
}): Promise<GuestRun> {
  const dir = await Deno.makeTempDir({ prefix: "sp_libos_" });
  const mounts = opts.mounts.map((m) =>
    "type" in m
      ? `{ path = "${m.path}", type = "tmpfs", size = "${m.size ?? "4M"}"${
        m.readonly ? ", readonly = true" : ""
      } }`
      : `{ path = "${m.path}", uri = "file:${m.hostDir}"${m.readonly ? ", readonly = true" : ""} }`
  );
  const toml = [
    "[loader]",
    `entrypoint = "${opts.entry}"`,
    `argv = ${JSON.stringify(["app", ...(opts.argv ?? [])])}`,
    "[fs]",
    `root = "${opts.cwd ?? "/"}"`,
    `mounts = [${mounts.join(", ")}]`,
    "[sys]",
    `max_fds = ${opts.maxFds ?? 64}`,
    'wall_time = "60s"',
    opts.extra ?? "",
  ].join("\n");
  const manifest = `${dir}/app.toml`;
  await Deno.writeTextFile(manifest, toml);
  const sb = await Sandbox.create(manifest, { isolation: "worker" });
  try {
    const out = await sb.run({
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    });
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    await sb.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Run `deno run <args>` directly (real Deno, no sandbox), stdin empty, and collect what it wrote:
 * the reference a sandboxed run of the same program is compared with.
 * @param env variables added to this process's environment
 */
export async function runDirect(
  args: string[],
  env: Record<string, string> = {},
): Promise<GuestRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...args],
    env: { DENO_NO_UPDATE_CHECK: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
