/**
 * The mapping manifest → Deno permissions: the explicit permission set of the sandbox host
 * worker and of each picoprocess worker, the `deno run` flags of the `process` isolation level,
 * and a table describing both for `sandpiper check`. Nothing here is ever "inherit" or "prompt".
 *
 * Measured on Deno 2.9.6: a worker's module loads (static imports and `import()`) are checked
 * against its *parent's* read permission, not its own. So the host role must be able to read the
 * guest's bootstrap modules (pass them as `extraRead`), and a guest can `import()` JSON or JS
 * from anything its host may read.
 */
import { dirname } from "node:path";
import type { Manifest } from "./manifest.ts";

/** Who a worker is: the trusted sandbox host, or an untrusted picoprocess. */
export type Role = "host" | "guest";

/** A `Deno.PermissionOptionsObject` with every key set, and never "inherit". */
export interface WorkerPermissions extends Deno.PermissionOptionsObject {
  read: string[] | false;
  write: string[] | false;
  net: string[] | false;
  env: false;
  run: false;
  ffi: false;
  sys: false;
  import: false;
}

/** Extra grants the caller needs for its own code. */
export interface PermissionExtras {
  /** Directories or files to add to `read` (e.g. Sandpiper's own source for module loading). */
  readonly extraRead?: readonly string[];
}

/**
 * The permissions of a worker in a sandbox, every key explicit.
 *
 * - `host`: read = code dir, entrypoint's dir, chroot mount dirs, trusted files (+ extraRead);
 *   write = read-write chroot mount dirs and the audit log; net = connect ∪ listen.
 * - `guest`: read = code dir (+ extraRead); write = false; net = connect ∪ listen.
 * - both: env, run, ffi, sys and import are false; an empty list becomes false.
 *
 * @param m the resolved manifest.
 * @param role `"host"` for the trusted sandbox host worker, `"guest"` for a picoprocess.
 * @param extras paths the caller's own modules need (see the module note on module loading).
 * @returns an object for `new Worker(url, { deno: { permissions } })`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifestFromObject } from "./manifest.ts";
 * import { workerPermissions } from "./permissions.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/main.js`, "");
 * const m = manifestFromObject(
 *   { loader: { entrypoint: "main.js" }, net: { connect: ["example.com:443"] } },
 *   { baseDir: dir },
 * );
 * const p = workerPermissions(m, "guest");
 * assert.ok(p.write === false && p.env === false);
 * assert.ok(JSON.stringify(p.net) === '["example.com:443"]');
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function workerPermissions(
  m: Manifest,
  role: Role,
  extras: PermissionExtras = {},
): WorkerPermissions {
  const extraRead = extras.extraRead ?? [];
  const read = role === "host"
    ? [...hostReadPaths(m), ...extraRead]
    : [m.loader.codeDir, ...extraRead];
  const write = role === "host" ? hostWritePaths(m) : [];
  return {
    read: listOrFalse(pathSet(read)),
    write: listOrFalse(pathSet(write)),
    net: listOrFalse(role === "host" ? [...netEntries(m), ...ephemeralBinds(m)] : netEntries(m)),
    env: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
}

/**
 * The `deno run` flags of a sandbox host child process (`process` isolation): the host role's
 * grants as `--allow-*` flags, a V8 heap cap from `sys.max_memory`, no prompts, no remote
 * modules and no npm packages (measured: `--no-remote` does not stop a Worker's
 * `import("npm:…")` from downloading from the registry; `--no-npm` does), and no config file
 * (`--no-config`: no deno.json found near Sandpiper's modules, the embedder's included, and no
 * lock file, shapes what the host or a guest loads). Never emits a bare
 * `--allow-read`/`--allow-write`/`--allow-net` (which would grant everything); never grants env,
 * run, ffi, sys or import.
 *
 * @param m the resolved manifest.
 * @param extraRead paths the child needs for Sandpiper's own modules.
 * @returns the flags, to go between `run` and the script path.
 * @throws {RangeError} when an `extraRead` path contains "," (flag lists cannot express it).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifestFromObject } from "./manifest.ts";
 * import { processFlags } from "./permissions.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/main.js`, "");
 * const m = manifestFromObject(
 *   { loader: { entrypoint: "main.js" }, sys: { max_memory: "128M" } },
 *   { baseDir: dir },
 * );
 * const flags = processFlags(m, []);
 * assert.ok(flags.includes("--v8-flags=--max-old-space-size=128"));
 * assert.ok(!flags.some((f) => f.startsWith("--allow-write")));
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function processFlags(m: Manifest, extraRead: readonly string[]): string[] {
  const bad = extraRead.find((p) => p.includes(","));
  if (bad !== undefined) throw new RangeError(`extraRead path contains ",": ${bad}`);
  const p = workerPermissions(m, "host", { extraRead });
  const flags = [
    "--no-prompt",
    "--no-remote",
    "--no-npm",
    "--no-config",
    "--unstable-worker-options",
    "--unstable-net",
  ];
  if (p.read) flags.push(`--allow-read=${p.read.join(",")}`);
  if (p.write) flags.push(`--allow-write=${p.write.join(",")}`);
  if (p.net) flags.push(`--allow-net=${p.net.join(",")}`);
  flags.push(`--v8-flags=--max-old-space-size=${heapMiB(m)}`);
  return flags;
}

/**
 * A human-readable table of what the sandbox host and the picoprocesses may do.
 *
 * @param m the resolved manifest.
 * @returns a multi-line table: one row per Deno permission, one column per role.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifestFromObject } from "./manifest.ts";
 * import { describePermissions } from "./permissions.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/main.js`, "");
 * const m = manifestFromObject({ loader: { entrypoint: "main.js" } }, { baseDir: dir });
 * assert.ok(describePermissions(m).includes("write"));
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function describePermissions(m: Manifest): string {
  const host = workerPermissions(m, "host");
  const guest = workerPermissions(m, "guest");
  const keys = ["read", "write", "net", "env", "run", "ffi", "sys", "import"] as const;
  const rows: [string, string, string][] = [["permission", "sandbox host", "picoprocess"]];
  for (const k of keys) {
    const h = cell(host[k]);
    const g = cell(guest[k]);
    for (let i = 0; i < Math.max(h.length, g.length); i++) {
      rows.push([i === 0 ? k : "", h[i] ?? "", g[i] ?? ""]);
    }
  }
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`.trimEnd());
  lines.splice(1, 0, `${"-".repeat(w0)}  ${"-".repeat(w1)}  ${"-".repeat(11)}`);
  const iso = m.sys.isolation === "process"
    ? `process (own deno run child, V8 heap cap ${heapMiB(m)} MiB)`
    : "worker (Workers of the embedding process; heap cap and abort are best-effort)";
  return `isolation: ${iso}\n${lines.join("\n")}\n`;
}

function hostReadPaths(m: Manifest): string[] {
  return [
    m.loader.codeDir,
    dirname(m.loader.entrypoint),
    ...m.fs.mounts.flatMap((x) => (x.type === "chroot" ? [x.hostPath] : [])),
    ...m.fs.trustedFiles.map((t) => t.hostPath),
  ];
}

function hostWritePaths(m: Manifest): string[] {
  const dirs = m.fs.mounts.flatMap((x) => (x.type === "chroot" && !x.readonly ? [x.hostPath] : []));
  return m.sys.auditPath === null ? dirs : [...dirs, m.sys.auditPath];
}

function netEntries(m: Manifest): string[] {
  return [...new Set([...m.net.connect, ...m.net.listen])];
}

/**
 * Host role: the local ephemeral port a `udp:` client binds (pal/host/udp.ts) — loopback for a
 * loopback peer, the wildcard address otherwise; only when something may be connected to. And a
 * loopback listen entry grants every loopback port, since a `udp.srv:` answers its senders
 * wherever they are bound (the host still checks every bind against the manifest).
 */
function ephemeralBinds(m: Manifest): string[] {
  const out = new Set<string>();
  for (const e of m.net.listen) {
    if (e.startsWith("127.") || e.startsWith("localhost:")) out.add("127.0.0.1");
  }
  for (const e of m.net.connect) {
    const host = e.slice(0, e.lastIndexOf(":"));
    if (host.startsWith("[")) out.add("[::]:0");
    else if (host.startsWith("127.") || host === "localhost") out.add("127.0.0.1:0");
    else out.add("0.0.0.0:0");
  }
  return [...out];
}

/** V8 old-space cap in MiB: `max_memory` rounded down (the schema guarantees ≥ 16 MiB). */
function heapMiB(m: Manifest): number {
  return Math.max(1, Math.floor(m.sys.maxMemoryBytes / 2 ** 20));
}

/** Sorted, de-duplicated, and without paths already covered by a listed ancestor directory. */
function pathSet(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((p) =>
    !sorted.some((a) => a !== p && (a === "/" || p.startsWith(a.endsWith("/") ? a : `${a}/`)))
  );
}

function listOrFalse(list: string[]): string[] | false {
  return list.length === 0 ? false : list;
}

function cell(v: string[] | false): string[] {
  return v === false ? ["no"] : v;
}
