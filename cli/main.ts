/**
 * The `sandpiper` command line: `run <manifest> [-- args]` and `check <manifest>`.
 * Run with `--no-prompt` (the deno.json tasks do): a worker's denied permission is otherwise
 * left in the prompt state on a terminal.
 */
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { loadManifest } from "../sandbox/manifest.ts";
import { ManifestError } from "../sandbox/errors.ts";
import { describePermissions } from "../sandbox/permissions.ts";
import { codeMountPath } from "../sandbox/host/config.ts";
import { Sandbox } from "../sandbox/sandbox.ts";
import { LimitError, SandboxError } from "../sandbox/errors_runtime.ts";
import type { Isolation, Manifest } from "../sandbox/manifest.ts";

const HELP = `sandpiper — run untrusted code in a capability-secure library OS on Deno

Usage:
  sandpiper run <manifest.toml> [options] [-- args...]   run the manifest's app; exit code = the app's
  sandpiper check <manifest.toml> [options]             validate; print the policy and permissions

Options:
  --isolation worker|process   override sys.isolation (default: the manifest's, "process")
  --trace                      strace-like log of PAL calls on stderr
  --debug                      show stack traces of Sandpiper's own errors
  -h, --help                   this text
`;

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      debug: { type: "boolean" },
      trace: { type: "boolean" },
      isolation: { type: "string" },
    },
  });
  const [cmd, file, ...rest] = positionals;
  if (values.help || !cmd) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (
    values.isolation !== undefined && values.isolation !== "worker" &&
    values.isolation !== "process"
  ) {
    throw new UsageError(`--isolation must be "worker" or "process", not "${values.isolation}"`);
  }
  if (cmd !== "run" && cmd !== "check") {
    throw new UsageError(`unknown command "${cmd}" (try --help)`);
  }
  if (!file) throw new UsageError(`${cmd}: missing <manifest.toml>`);
  const manifest = await loadManifest(file, { hostEnv: Deno.env.toObject() });
  if (cmd === "check") {
    console.log(describePolicy(manifest));
    console.log(describePermissions(manifest));
    return await verifyTrustedFiles(manifest) ? 0 : 1;
  }
  const opts: { isolation?: Isolation; trace?: (line: string) => void } = {};
  if (values.isolation) opts.isolation = values.isolation as Isolation;
  if (values.trace) opts.trace = (line) => console.error(`trace: ${line}`);
  return await runApp(manifest, rest, opts);
}

async function runApp(
  manifest: Manifest,
  args: string[],
  opts: { isolation?: Isolation; trace?: (line: string) => void },
): Promise<number> {
  const sb = await Sandbox.create(manifest, opts);
  try {
    const argv = args.length > 0 ? [manifest.loader.argv[0] ?? "app", ...args] : undefined;
    const p = await sb.spawn(argv ? { argv } : {});
    const pumpIn = Deno.stdin.isTerminal()
      ? Promise.resolve()
      : Deno.stdin.readable.pipeTo(p.stdin).catch(() => {});
    if (Deno.stdin.isTerminal()) void p.stdin.close().catch(() => {});
    await Promise.all([
      p.stdout.pipeTo(Deno.stdout.writable, { preventClose: true }),
      p.stderr.pipeTo(Deno.stderr.writable, { preventClose: true }),
    ]);
    const st = await p.wait();
    void pumpIn;
    if (st.limit) {
      console.error(`sandpiper: ${st.limit.message} (limit ${st.limit.limit})`);
      return 1;
    }
    return st.code;
  } finally {
    await sb.close();
  }
}

function describePolicy(m: Manifest): string {
  const code = codeMountPath(m);
  const lines = [
    `manifest:    ${m.file ?? "<object>"}`,
    `entrypoint:  ${m.loader.entrypoint} (${m.loader.personality})`,
    `argv:        ${JSON.stringify(m.loader.argv)}`,
    `env:         ${Object.keys(m.loader.env).join(", ") || "(none)"}`,
    `cwd:         ${m.fs.root}`,
    "mounts:",
    ...m.fs.mounts.map((x) =>
      `  ${x.path.padEnd(16)} ${x.type.padEnd(6)} ${x.readonly ? "ro" : "rw"}  ${
        x.type === "chroot" ? x.hostPath : `${x.sizeBytes} bytes`
      }`
    ),
    ...(code === null
      ? []
      : [`  ${code.padEnd(16)} chroot ro  (the code directory: fs.code_mount)`]),
    `trusted:     ${m.fs.trustedFiles.length} file(s)`,
    `net connect: ${m.net.connect.join(", ") || "(none)"}`,
    `net listen:  ${m.net.listen.join(", ") || "(none)"}`,
    `limits:      processes ${m.sys.maxProcesses}, memory ${m.sys.maxMemoryBytes} B, fds ${m.sys.maxFds}, ` +
    `output ${m.sys.maxOutputBytes} B, wall ${m.sys.wallTimeMs ?? "none"} ms`,
  ];
  return lines.join("\n") + "\n";
}

/** `check` hashes every trusted file now (a run verifies lazily, when the app opens one). */
async function verifyTrustedFiles(m: Manifest): Promise<boolean> {
  let ok = true;
  for (const [i, t] of m.fs.trustedFiles.entries()) {
    const hash = createHash("sha256");
    using f = await Deno.open(t.hostPath);
    for await (const chunk of f.readable) hash.update(chunk);
    const got = hash.digest("hex");
    if (got !== t.sha256) {
      console.error(
        `sandpiper: ${m.file ?? "<manifest>"}: fs.trusted_files[${i}].sha256: ` +
          `${t.hostPath} hashes to ${got}, not ${t.sha256}`,
      );
      ok = false;
    }
  }
  if (ok && m.fs.trustedFiles.length > 0) {
    console.log(`trusted files: ${m.fs.trustedFiles.length} verified`);
  }
  return ok;
}

class UsageError extends Error {}

if (import.meta.main) {
  const debug = Deno.args.includes("--debug");
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (e) {
    if (debug) console.error(e);
    else if (
      e instanceof ManifestError || e instanceof UsageError || e instanceof LimitError ||
      e instanceof SandboxError
    ) {
      console.error(`sandpiper: ${e.message}`);
    } else if (e instanceof TypeError && /parseArgs|option/i.test(e.message)) {
      console.error(`sandpiper: ${e.message} (try --help)`);
    } else {
      console.error(`sandpiper: ${e instanceof Error ? e.message : String(e)}`);
    }
    code = e instanceof UsageError ? 2 : 1;
  }
  Deno.exit(code);
}
