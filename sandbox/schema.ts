/**
 * The manifest schema: the one zod definition of every manifest key (strict: unknown keys are
 * errors), the unit syntaxes it accepts (sizes, durations, `host:port`), and the conversion of
 * zod issues into a `ManifestError` that names the dotted key path.
 * Host-dependent checks (files exist, paths resolve) live in `manifest.ts`.
 */
import { z } from "zod";
import { ManifestError } from "./errors.ts";

const SIZE_RE = /^([0-9]+)([KMGT]?)$/;
const DURATION_RE = /^([0-9]+)(ms|s|m|h)$/;
const HOST_PORT_RE =
  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*):([0-9]{1,5})$/;
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
};
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const SIZE_HINT = 'expected a size: integer bytes or a string like "512K", "16M", "1G"';
const DURATION_HINT =
  'expected a duration: integer milliseconds or a string like "500ms", "30s", "2m"';
const NET_HINT = 'expected "host:port" (host: name, IPv4 or [IPv6]; port 1-65535)';

/**
 * Size in bytes of a manifest size value (`4096`, `"512K"`, `"16M"`, `"1G"`; binary units).
 *
 * @param value an integer byte count or a string `<digits>[K|M|G|T]`.
 * @returns the byte count, or `undefined` when `value` is not a size or is not a safe integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./schema.ts";
 * assert.ok(parseSize("16M") === 16 * 1024 * 1024);
 * assert.ok(parseSize("16MB") === undefined);
 * ```
 */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  const m = SIZE_RE.exec(value);
  if (!m) return undefined;
  const bytes = Number(m[1]) * (SIZE_UNITS[m[2] ?? ""] ?? NaN);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/**
 * Milliseconds of a manifest duration value (`250`, `"500ms"`, `"30s"`, `"2m"`, `"1h"`).
 *
 * @param value an integer millisecond count or a string `<digits>(ms|s|m|h)`.
 * @returns the milliseconds, or `undefined` when `value` is not a duration or not a safe integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./schema.ts";
 * assert.ok(parseDuration("2m") === 120_000);
 * assert.ok(parseDuration("2 minutes") === undefined);
 * ```
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  const m = DURATION_RE.exec(value);
  if (!m) return undefined;
  const ms = Number(m[1]) * (DURATION_UNITS[m[2] ?? ""] ?? NaN);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Whether `value` is a `host:port` network entry the manifest accepts.
 *
 * @param value e.g. `"example.com:443"`, `"127.0.0.1:8080"`, `"[::1]:9000"`.
 * @returns true when the host is a DNS name, IPv4 or bracketed IPv6 and the port is 1-65535.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isHostPort } from "./schema.ts";
 * assert.ok(isHostPort("[::1]:8080") && !isHostPort("example.com:*"));
 * ```
 */
export function isHostPort(value: string): boolean {
  const m = HOST_PORT_RE.exec(value);
  if (!m) return false;
  const host = m[1] ?? "";
  const port = m[2] ?? "";
  if (String(Number(port)) !== port || Number(port) < 1 || Number(port) > 65535) return false;
  if (!host.startsWith("[")) return true;
  try {
    new URL(`http://${host}/`);
    return true;
  } catch (_invalidIpv6) {
    return false;
  }
}

function size(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.union([z.int(), z.string().regex(SIZE_RE, { error: SIZE_HINT })], { error: SIZE_HINT })
    .superRefine((v, ctx) => {
      if (typeof v === "string" && !SIZE_RE.test(v)) return; // already reported by the union
      const bytes = parseSize(v);
      if (bytes === undefined) ctx.addIssue({ code: "custom", message: "size is too large" });
      else if (bytes < min) {
        ctx.addIssue({ code: "custom", message: `must be at least ${min} bytes` });
      } else if (bytes > max) {
        ctx.addIssue({ code: "custom", message: `must be at most ${max} bytes` });
      }
    });
}

function duration() {
  return z.union([z.int(), z.string().regex(DURATION_RE, { error: DURATION_HINT })], {
    error: DURATION_HINT,
  }).superRefine((v, ctx) => {
    if (typeof v === "string" && !DURATION_RE.test(v)) return; // already reported by the union
    const ms = parseDuration(v);
    if (ms === undefined) ctx.addIssue({ code: "custom", message: "duration is too long" });
    else if (ms < 1) ctx.addIssue({ code: "custom", message: "must be at least 1ms" });
  });
}

const noNul = (what: string) =>
  z.string().refine((s) => !s.includes("\0"), { error: `${what} must not contain NUL` });

const guestPath = noNul("a guest path")
  .regex(/^\//, { error: "expected an absolute guest path (starting with /)" })
  .refine((p) => !p.split("/").includes(".."), { error: 'a guest path must not contain ".."' });

const fileUri = noNul("a uri").regex(/^file:(?!\/\/).+$/, {
  error: 'expected "file:<host path>" (relative to the manifest, or absolute as file:/abs/path)',
});

const hostPort = z.string().refine(isHostPort, { error: NET_HINT });

const envValue = z.union([
  noNul("an environment value"),
  z.strictObject({ passthrough: z.literal(true) }),
], { error: "expected a string or { passthrough = true }" });

const mount = z.strictObject({
  path: guestPath.describe("Absolute guest path where the mount appears."),
  uri: fileUri.optional().describe("Host directory (chroot only): file:<path>."),
  type: z.enum(["chroot", "tmpfs"]).default("chroot"),
  readonly: z.boolean().default(false),
  readahead: z.boolean().default(true).describe(
    "Let guests read files ahead while they read them sequentially, and keep what they read " +
      "(fs.read_cache). A write made inside the sandbox always voids what was read; a change " +
      "made outside it (chroot) shows at the next open of the file, and an open handle may see " +
      "it up to 2 MiB of reading late. Set false for files other host programs rewrite in " +
      "place while the app reads them.",
  ),
  size: size(1).optional().describe("tmpfs only: capacity in bytes (default 16M)."),
}).superRefine((m, ctx) => {
  if (m.type === "chroot" && m.uri === undefined) {
    ctx.addIssue({ code: "custom", path: ["uri"], message: 'required for type = "chroot"' });
  }
  if (m.type === "tmpfs" && m.uri !== undefined) {
    ctx.addIssue({ code: "custom", path: ["uri"], message: 'not allowed for type = "tmpfs"' });
  }
  if (m.type !== "tmpfs" && m.size !== undefined) {
    ctx.addIssue({ code: "custom", path: ["size"], message: 'only allowed for type = "tmpfs"' });
  }
});

const loader = z.strictObject({
  entrypoint: noNul("a path").min(1).describe(
    "App module (.js/.ts) or .wasm, relative to the manifest file.",
  ),
  argv: z.array(noNul("an argument")).min(1).optional().describe(
    "Arguments; argv[0] is the program name. Default: [entrypoint].",
  ),
  env: z.record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
      error: "environment variable names are [A-Za-z_][A-Za-z0-9_]*",
    }),
    envValue,
  ).default({}).describe("The only variables the guest sees: value, or { passthrough = true }."),
  code: noNul("a path").min(1).optional().describe(
    "Directory holding the app's code (relative to the manifest). Default: the entrypoint's.",
  ),
  personality: z.enum(["native", "deno", "wasi"]).optional().describe(
    'OS personality. Default: "wasi" for a .wasm entrypoint, else "deno".',
  ),
});

const fs = z.strictObject({
  root: guestPath.default("/").describe("Guest working directory at start."),
  mounts: z.array(mount).default([]),
  trusted_files: z.array(z.strictObject({
    uri: fileUri,
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: "expected 64 hex digits" }),
  })).default([]),
  discover: z.boolean().default(false).describe("Log every file the app opens."),
  code_mount: z.boolean().default(true).describe(
    "Show loader.code in the guest's file system, read-only, at its own host path, so a " +
      "program finds the files beside it through import.meta.url, import.meta.dirname and " +
      "Deno.mainModule as it does outside the sandbox.",
  ),
  read_cache: size(0, 2 ** 30).default("64M").describe(
    "Bytes of host file data a picoprocess keeps in its own memory after reading them (its " +
      "first thread that reads a file sequentially), least recently used replaced first, so " +
      "reading a file again needs no host call. 0 keeps nothing beyond read-ahead.",
  ),
});

const net = z.strictObject({
  connect: z.array(hostPort).default([]).describe("host:port entries the app may connect to."),
  listen: z.array(hostPort).default([]).describe("host:port entries the app may listen on."),
});

const sys = z.strictObject({
  isolation: z.enum(["worker", "process"]).default("process"),
  max_processes: z.int().min(1).max(4096).default(16),
  max_threads: z.int().min(1).max(1024).default(16).describe("Threads per picoprocess."),
  max_memory: size(16 * 2 ** 20).default("256M"),
  max_fds: z.int().min(3).max(65536).default(256),
  max_output: size(0).default("16M").describe("Bytes of stdout+stderr the sandbox may emit."),
  wall_time: duration().optional().describe("Wall-clock limit for the sandbox. Default: none."),
  watchdog: duration().optional().describe("Max time a picoprocess may go unresponsive."),
  pipe_buffer: size(1).default("64K"),
  spawn_pool: z.int().min(0).max(16).default(2).describe(
    "Picoprocess Workers kept booted for the next spawn (started at the first spawn).",
  ),
  recycle: z.boolean().default(true).describe(
    "Give the Worker of a process that ran only a built-in program back to the spawn pool.",
  ),
  vma_quota: size(4096).default("64M").describe(
    "Shared memory the picoprocesses may map, in total.",
  ),
  audit: noNul("a path").min(1).optional().describe("JSONL audit log, relative to the manifest."),
  debug: z.boolean().default(false),
});

/** The manifest schema: the source of truth for every key and of `manifests/schema.json`. */
export const ManifestSchema = z.strictObject({
  loader,
  fs: fs.prefault({}),
  net: net.prefault({}),
  sys: sys.prefault({}),
});

/** A manifest as written (TOML or object), before defaults. */
export type ManifestInput = z.input<typeof ManifestSchema>;
/** A manifest after schema validation: defaults filled in, units not yet converted. */
export type ManifestFields = z.output<typeof ManifestSchema>;

/**
 * Validate a decoded manifest document against the schema.
 *
 * @param doc the decoded TOML table or an object built in code (hostile input is fine).
 * @param file the manifest file name used in error messages.
 * @returns the document with defaults filled in.
 * @throws {ManifestError} listing every problem, each with its dotted key path.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateFields } from "./schema.ts";
 * const f = validateFields({ loader: { entrypoint: "main.js" } }, "app.toml");
 * assert.ok(f.sys.isolation === "process");
 * ```
 */
export function validateFields(doc: unknown, file: string): ManifestFields {
  const proto = findProtoKey(doc, [], 0);
  if (proto !== undefined) {
    const key = keyPath(proto);
    failWith(key, [`unknown key ${key} (not allowed anywhere in a manifest)`], file);
  }
  const r = ManifestSchema.safeParse(doc, { reportInput: true });
  if (r.success) return r.data;
  const found = r.error.issues.flatMap(describeIssue);
  const first = found[0] ?? { key: "", text: "invalid manifest" };
  return failWith(first.key, found.map((p) => p.text), file);
}

/** Path to an own `__proto__` key (zod drops those silently; we reject them), if any. */
function findProtoKey(v: unknown, at: PropertyKey[], depth: number): PropertyKey[] | undefined {
  if (v === null || typeof v !== "object" || depth > 6) return undefined; // schema is 4 deep
  if (Object.hasOwn(v, "__proto__")) return [...at, "__proto__"];
  for (const [k, child] of Object.entries(v)) {
    const found = findProtoKey(child, [...at, Array.isArray(v) ? Number(k) : k], depth + 1);
    if (found) return found;
  }
  return undefined;
}

function failWith(key: string, problems: string[], file: string): never {
  throw new ManifestError(problems[0] ?? "invalid manifest", { key, path: file, problems });
}

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue): { key: string; text: string }[] {
  const key = keyPath(issue.path);
  const at = (text: string) => [{ key, text: key === "" ? text : `${key}: ${text}` }];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => {
        const full = keyPath([...issue.path, k]);
        return { key: full, text: `unknown key ${full}` };
      });
    case "invalid_type":
      if (issue.input === undefined) return at("required key is missing");
      return at(`expected ${typeName(issue.expected)}, got ${describeValue(issue.input)}`);
    case "invalid_value":
      return at(
        `expected ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}, got ${
          describeValue(issue.input)
        }`,
      );
    case "invalid_key":
      return at(issue.issues[0]?.message ?? "invalid key");
    case "too_small":
      return at(
        issue.origin === "array"
          ? (Number(issue.minimum) === 1 ? "must not be empty" : `needs ${issue.minimum} entries`)
          : issue.origin === "string"
          ? "must not be empty"
          : `must be at least ${issue.minimum}, got ${describeValue(issue.input)}`,
      );
    case "too_big":
      return at(`must be at most ${issue.maximum}, got ${describeValue(issue.input)}`);
    default: {
      const shown = isScalar(issue.input) ? `, got ${describeValue(issue.input)}` : "";
      return at(`${issue.message}${shown}`);
    }
  }
}

/**
 * Dotted key path of a schema position: `["fs", "mounts", 1, "type"]` → `fs.mounts[1].type`.
 *
 * @param path the keys and indices from the document root.
 * @returns the path as written in messages; keys that are not bare TOML keys are quoted.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyPath } from "./schema.ts";
 * assert.ok(keyPath(["fs", "mounts", 1, "type"]) === "fs.mounts[1].type");
 * ```
 */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`;
    else {
      const s = String(k);
      const bare = /^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s);
      out += out === "" ? bare : `.${bare}`;
    }
  }
  return out;
}

function typeName(expected: string): string {
  if (expected === "object") return "a table";
  if (expected === "int") return "an integer";
  if (expected === "array") return "an array";
  return `a ${expected}`;
}

function isScalar(v: unknown): boolean {
  return v !== undefined && (v === null || typeof v !== "object");
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  return typeof v === "object" ? "a table" : typeof v;
}
