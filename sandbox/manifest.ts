/**
 * Manifest loading: TOML text or a plain object → schema validation (`schema.ts`) → a normalized,
 * frozen `Manifest` whose host paths are absolute and canonical, sizes are bytes and durations
 * are milliseconds. Every failure is a `ManifestError` naming the file and the key.
 */
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { ManifestError } from "./errors.ts";
import { type ManifestFields, parseDuration, parseSize, validateFields } from "./schema.ts";

/** How the picoprocesses of a sandbox are isolated from the embedding app. */
export type Isolation = "worker" | "process";
/** The OS personality the libOS presents to the app. */
export type Personality = "native" | "deno" | "wasi";

/** A host directory mounted into the guest file system. */
export interface ChrootMount {
  readonly type: "chroot";
  /** Absolute, normalized guest path. */
  readonly path: string;
  /** Absolute, canonical host directory (exists at load time). */
  readonly hostPath: string;
  readonly readonly: boolean;
  /** Whether guests may read its files ahead. */
  readonly readahead: boolean;
}

/** An in-memory file system private to the sandbox. */
export interface TmpfsMount {
  readonly type: "tmpfs";
  /** Absolute, normalized guest path. */
  readonly path: string;
  readonly readonly: boolean;
  /** Whether guests may read its files ahead. */
  readonly readahead: boolean;
  readonly sizeBytes: number;
}

/** One mount table entry. */
export type Mount = ChrootMount | TmpfsMount;

/** A host file the app may open only if its content hashes to `sha256`. */
export interface TrustedFile {
  /** Absolute, canonical host path (exists at load time). */
  readonly hostPath: string;
  /** Lowercase hex SHA-256 of the expected content. */
  readonly sha256: string;
}

/** A validated manifest, resolved against the host. Plain data (JSON-safe) and deeply frozen. */
export interface Manifest {
  /** Absolute path of the manifest file, or null for a manifest built in code. */
  readonly file: string | null;
  /** Absolute directory that relative paths in the manifest were resolved against. */
  readonly baseDir: string;
  readonly loader: {
    /** Absolute, canonical host path of the app module or .wasm (exists at load time). */
    readonly entrypoint: string;
    /** Arguments; `argv[0]` is the program name. */
    readonly argv: readonly string[];
    /** The complete guest environment (passthrough already applied). */
    readonly env: Readonly<Record<string, string>>;
    /** Absolute, canonical host directory holding the app's code; contains `entrypoint`. */
    readonly codeDir: string;
    readonly personality: Personality;
  };
  readonly fs: {
    /** Guest working directory at start (absolute, normalized). */
    readonly root: string;
    /** Sorted by guest path, so a parent mount precedes the mounts below it. */
    readonly mounts: readonly Mount[];
    readonly trustedFiles: readonly TrustedFile[];
    /** Log every file the app opens. */
    readonly discover: boolean;
    /** Mount `loader.codeDir` read-only at its host path (`code_mount`; see host/config.ts). */
    readonly codeMount: boolean;
    /** Bytes of a picoprocess's read cache (`read_cache`). */
    readonly readCacheBytes: number;
  };
  readonly net: {
    /** `host:port` entries the app may connect to (as listed, duplicates removed). */
    readonly connect: readonly string[];
    /** `host:port` entries the app may listen on (as listed, duplicates removed). */
    readonly listen: readonly string[];
  };
  readonly sys: {
    readonly isolation: Isolation;
    readonly maxProcesses: number;
    readonly maxThreads: number;
    readonly maxMemoryBytes: number;
    readonly maxFds: number;
    readonly maxOutputBytes: number;
    /** Wall-clock limit of the sandbox; null = none. */
    readonly wallTimeMs: number | null;
    /** Longest a picoprocess may stay unresponsive; null = no watchdog. */
    readonly watchdogMs: number | null;
    readonly pipeBufferBytes: number;
    /** Booted Workers kept for the next spawn (sandbox/host/proc_pool.ts). */
    readonly spawnPool: number;
    /** Recycle built-in programs' Workers into the pool (sandbox/host/proc_pool.ts `back`). */
    readonly recycle: boolean;
    readonly vmaQuotaBytes: number;
    /** Absolute host path of the JSONL audit log; null = no audit log. */
    readonly auditPath: string | null;
    readonly debug: boolean;
  };
}

/** Where a manifest comes from and what it may take from the host. */
export interface ManifestOptions {
  /** The manifest file (used in error messages and as `Manifest.file`). */
  readonly path?: string;
  /** Directory that relative paths are resolved against (usually the manifest's directory). */
  readonly baseDir: string;
  /** Host environment for `{ passthrough = true }` variables. Default: empty (nothing leaks). */
  readonly hostEnv?: Readonly<Record<string, string>>;
}

/** Options of `loadManifest`: `baseDir` defaults to the manifest file's directory. */
export type LoadOptions = Partial<Omit<ManifestOptions, "path">>;

const TMPFS_DEFAULT_BYTES = 16 * 2 ** 20;

/**
 * Parse and resolve a TOML manifest.
 *
 * @param text the TOML document.
 * @param opts `baseDir` for relative paths, `path` for messages, `hostEnv` for passthrough.
 * @returns the normalized, frozen manifest.
 * @throws {ManifestError} on a TOML syntax error (with `line`/`column`), a schema violation
 *   (naming every offending key) or a missing/invalid host file or directory.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifest } from "./manifest.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/main.js`, "console.log('hi')");
 * const m = parseManifest(
 *   `[loader]\nentrypoint = "main.js"\nenv = { HOME = "/" }\n[sys]\nmax_memory = "64M"`,
 *   { baseDir: dir },
 * );
 * assert.ok(m.sys.maxMemoryBytes === 64 * 1024 * 1024 && m.loader.env.HOME === "/");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function parseManifest(text: string, opts: ManifestOptions): Manifest {
  const file = opts.path ?? "<manifest>";
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const what = (e.message.split("\n")[0] ?? "").replace(/^Invalid TOML document:\s*/, "");
    throw new ManifestError(`line ${e.line}, column ${e.column}: TOML syntax error: ${what}`, {
      key: "",
      path: file,
      line: e.line,
      column: e.column,
    });
  }
  return manifestFromObject(doc, opts);
}

/**
 * Validate and resolve a manifest built in code (same keys and rules as the TOML form).
 *
 * @param obj the manifest table, e.g. `{ loader: { entrypoint: "main.js" } }`; any value.
 * @param opts `baseDir` for relative paths, `path` for messages, `hostEnv` for passthrough.
 * @returns the normalized, frozen manifest.
 * @throws {ManifestError} on a schema violation or a missing/invalid host file or directory.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manifestFromObject } from "./manifest.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/main.js`, "");
 * const m = manifestFromObject(
 *   { loader: { entrypoint: "main.js", env: { USER: { passthrough: true } } } },
 *   { baseDir: dir, hostEnv: { USER: "ada", SECRET: "x" } },
 * );
 * assert.ok(JSON.stringify(m.loader.env) === '{"USER":"ada"}');
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function manifestFromObject(obj: unknown, opts: ManifestOptions): Manifest {
  const file = opts.path ?? "<manifest>";
  let fields: ManifestFields;
  try {
    fields = validateFields(obj, file);
  } catch (e) {
    if (e instanceof ManifestError) throw e;
    // A hostile object (throwing getter, revoked proxy) cannot even be read.
    throw new ManifestError(`unreadable manifest object (${String(e)})`, { key: "", path: file });
  }
  return deepFreeze(resolveFields(fields, opts, file));
}

/**
 * Read, parse and resolve a manifest file.
 *
 * @param path the TOML manifest file.
 * @param opts `baseDir` (default: the file's directory) and `hostEnv` for passthrough.
 * @returns the normalized, frozen manifest.
 * @throws {ManifestError} when the file cannot be read or the manifest is invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadManifest } from "./manifest.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/main.js`, "");
 * await Deno.writeTextFile(`${dir}/app.toml`, '[loader]\nentrypoint = "main.js"');
 * const m = await loadManifest(`${dir}/app.toml`);
 * assert.ok(m.loader.entrypoint === `${await Deno.realPath(dir)}/main.js`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadManifest(path: string, opts: LoadOptions = {}): Promise<Manifest> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  return parseManifest(text, withPath(path, opts));
}

/**
 * Synchronous `loadManifest`.
 *
 * @param path the TOML manifest file.
 * @param opts `baseDir` (default: the file's directory) and `hostEnv` for passthrough.
 * @returns the normalized, frozen manifest.
 * @throws {ManifestError} when the file cannot be read or the manifest is invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadManifestSync } from "./manifest.ts";
 * import { ManifestError } from "./errors.ts";
 * assert.throws(() => loadManifestSync("/nonexistent/app.toml"), ManifestError);
 * ```
 */
export function loadManifestSync(path: string, opts: LoadOptions = {}): Manifest {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  return parseManifest(text, withPath(path, opts));
}

function withPath(path: string, opts: LoadOptions): ManifestOptions {
  const base: ManifestOptions = { path, baseDir: opts.baseDir ?? dirname(resolve(path)) };
  return opts.hostEnv ? { ...base, hostEnv: opts.hostEnv } : base;
}

function unreadable(path: string, e: unknown): ManifestError {
  const why = e instanceof Deno.errors.NotFound ? "file not found" : `cannot read (${String(e)})`;
  return new ManifestError(why, { key: "", path });
}

function resolveFields(f: ManifestFields, opts: ManifestOptions, file: string): Manifest {
  const baseDir = resolve(opts.baseDir);
  const fail = (key: string, detail: string): never => {
    throw new ManifestError(detail, { key, path: file });
  };
  const host = (key: string, p: string, want: "file" | "dir") =>
    hostPath(key, resolve(baseDir, p), want, fail);

  const entrypoint = host("loader.entrypoint", f.loader.entrypoint, "file");
  const codeDir = f.loader.code === undefined
    ? dirname(entrypoint)
    : host("loader.code", f.loader.code, "dir");
  const inCode = relative(codeDir, entrypoint);
  if (inCode.startsWith("..") || isAbsolute(inCode)) {
    fail("loader.entrypoint", `${entrypoint} is outside loader.code (${codeDir})`);
  }
  return {
    file: opts.path === undefined ? null : resolve(opts.path),
    baseDir,
    loader: {
      entrypoint,
      argv: f.loader.argv ?? [f.loader.entrypoint],
      env: resolveEnv(f.loader.env, opts.hostEnv ?? {}),
      codeDir,
      personality: f.loader.personality ?? (entrypoint.endsWith(".wasm") ? "wasi" : "deno"),
    },
    fs: {
      root: normalizeGuestPath(f.fs.root),
      mounts: resolveMounts(f.fs.mounts, host, fail),
      trustedFiles: resolveTrusted(f.fs.trusted_files, host, fail),
      discover: f.fs.discover,
      codeMount: f.fs.code_mount,
      readCacheBytes: bytes(f.fs.read_cache),
    },
    net: { connect: [...new Set(f.net.connect)], listen: [...new Set(f.net.listen)] },
    sys: {
      isolation: f.sys.isolation,
      maxProcesses: f.sys.max_processes,
      maxThreads: f.sys.max_threads,
      maxMemoryBytes: bytes(f.sys.max_memory),
      maxFds: f.sys.max_fds,
      maxOutputBytes: bytes(f.sys.max_output),
      wallTimeMs: f.sys.wall_time === undefined ? null : ms(f.sys.wall_time),
      watchdogMs: f.sys.watchdog === undefined ? null : ms(f.sys.watchdog),
      pipeBufferBytes: bytes(f.sys.pipe_buffer),
      spawnPool: f.sys.spawn_pool,
      recycle: f.sys.recycle,
      vmaQuotaBytes: bytes(f.sys.vma_quota),
      auditPath: f.sys.audit === undefined ? null : auditPath(resolve(baseDir, f.sys.audit), fail),
      debug: f.sys.debug,
    },
  };
}

type Fail = (key: string, detail: string) => never;
type Host = (key: string, p: string, want: "file" | "dir") => string;

function resolveEnv(
  env: ManifestFields["loader"]["env"],
  hostEnv: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(env)) {
    const value = typeof v === "string" ? v : Object.hasOwn(hostEnv, name) ? hostEnv[name] : null;
    // defineProperty: a variable named __proto__ must stay a plain entry.
    if (typeof value === "string") {
      Object.defineProperty(out, name, { value, enumerable: true, writable: true });
    }
  }
  return out;
}

function resolveMounts(mounts: ManifestFields["fs"]["mounts"], host: Host, fail: Fail): Mount[] {
  const seen = new Map<string, number>();
  const out: Mount[] = mounts.map((m, i) => {
    const path = normalizeGuestPath(m.path);
    const earlier = seen.get(path);
    if (earlier !== undefined) {
      fail(`fs.mounts[${i}].path`, `duplicate mount path ${path} (also fs.mounts[${earlier}])`);
    }
    seen.set(path, i);
    if (m.type === "tmpfs") {
      const sizeBytes = m.size === undefined ? TMPFS_DEFAULT_BYTES : bytes(m.size);
      return { type: "tmpfs", path, readonly: m.readonly, readahead: m.readahead, sizeBytes };
    }
    const hostDir = host(`fs.mounts[${i}].uri`, uriPath(m.uri ?? ""), "dir");
    return {
      type: "chroot",
      path,
      hostPath: hostDir,
      readonly: m.readonly,
      readahead: m.readahead,
    };
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function resolveTrusted(
  files: ManifestFields["fs"]["trusted_files"],
  host: Host,
  fail: Fail,
): TrustedFile[] {
  const seen = new Map<string, number>();
  return files.map((t, i) => {
    const hostFile = host(`fs.trusted_files[${i}].uri`, uriPath(t.uri), "file");
    const earlier = seen.get(hostFile);
    if (earlier !== undefined) {
      fail(`fs.trusted_files[${i}].uri`, `${hostFile} is already fs.trusted_files[${earlier}]`);
    }
    seen.set(hostFile, i);
    return { hostPath: hostFile, sha256: t.sha256.toLowerCase() };
  });
}

/** `file:rel/path` or `file:/abs/path` → the path part (the schema guarantees the prefix). */
function uriPath(uri: string): string {
  return uri.slice("file:".length);
}

/** Guest path with `.` segments, repeated and trailing slashes removed (`..` is rejected). */
function normalizeGuestPath(p: string): string {
  return "/" + p.split("/").filter((s) => s !== "" && s !== ".").join("/");
}

/** Canonical absolute host path of an existing file or directory, or a ManifestError. */
function hostPath(key: string, abs: string, want: "file" | "dir", fail: Fail): string {
  let real: string;
  let info: Deno.FileInfo;
  try {
    real = Deno.realPathSync(abs);
    info = Deno.statSync(real);
  } catch (e) {
    return fail(key, describeHostError(abs, want, e));
  }
  if (want === "dir" && !info.isDirectory) fail(key, `${abs} is not a directory`);
  if (want === "file" && !info.isFile) fail(key, `${abs} is not a file`);
  if (real.includes(",")) {
    fail(key, `${real} contains ",", which Deno permission lists cannot express`);
  }
  return real;
}

function auditPath(abs: string, fail: Fail): string {
  const dir = hostPath("sys.audit", dirname(abs), "dir", fail);
  const full = resolve(dir, basename(abs));
  try {
    if (Deno.statSync(full).isDirectory) fail("sys.audit", `${full} is a directory`);
  } catch (e) {
    if (e instanceof ManifestError) throw e;
    if (!(e instanceof Deno.errors.NotFound)) fail("sys.audit", `cannot access ${full}`);
  }
  if (full.includes(",")) {
    fail("sys.audit", `${full} contains ",", which Deno permission lists cannot express`);
  }
  return full;
}

function describeHostError(abs: string, want: "file" | "dir", e: unknown): string {
  const what = want === "dir" ? "host directory" : "host file";
  if (e instanceof Deno.errors.NotFound) return `${what} ${abs} does not exist`;
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return `${what} ${abs} is not readable (${e.name})`;
  }
  return `${what} ${abs} cannot be resolved (${String(e)})`;
}

function bytes(v: number | string): number {
  const n = parseSize(v);
  if (n === undefined) throw new TypeError(`schema let through a bad size: ${String(v)}`);
  return n;
}

function ms(v: number | string): number {
  const n = parseDuration(v);
  if (n === undefined) throw new TypeError(`schema let through a bad duration: ${String(v)}`);
  return n;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}
