/**
 * Program resolution for process_create: a guest path → the module a new picoprocess Worker
 * imports. The guest names programs by guest path only; the host maps the path to a mount and
 *   - a chroot file inside the app's code directory → its file: URL (relative imports work; the
 *     Worker may read the code directory),
 *   - any other chroot or tmpfs file → a data: URL of its source, read through the mount's
 *     backend (Workers cannot read tmpfs or other mounts; such a program must be self-contained),
 *   - a built-in name → `sandpiper-bin:<name>` (libos/bin, loaded by boot with boot's graph).
 * Anything else is NOT_FOUND: nothing outside the sandbox's view can ever be run.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import { BUILTIN_SCHEME, isBuiltin } from "../../libos/bin/names.ts";
import type { HostConfig } from "./config.ts";
import type { BoundMount } from "../../pal/host/owner.ts";

/** Largest program source loaded as a data: URL. */
export const MAX_PROGRAM_BYTES = 4 << 20;

const MEDIA: Record<string, string> = {
  ".ts": "application/typescript",
  ".mts": "application/typescript",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
};

/** A resolved program. */
export interface Program {
  /** What boot imports. */
  readonly entry: string;
  /** The guest path (for /proc/self/exe). */
  readonly exePath: string;
}

/**
 * Resolve `program` (an absolute guest path, or `builtin:<name>`).
 * @throws {PalError} NOT_FOUND, INVAL, TOO_BIG
 */
export function resolveProgram(
  cfg: HostConfig,
  mount: (id: number) => BoundMount | undefined,
  program: string,
): Program {
  if (program.startsWith("builtin:")) {
    const name = program.slice(8);
    if (!isBuiltin(name)) throw new PalError(PalCode.NOT_FOUND, `no built-in ${name}`);
    return { entry: `${BUILTIN_SCHEME}${name}`, exePath: `/bin/${name}` };
  }
  const parts = program.split("/").filter((s) => s !== "");
  if (!program.startsWith("/") || parts.some((s) => s === "." || s === ".." || s.includes("\0"))) {
    throw new PalError(PalCode.INVAL, "program must be a normalized absolute guest path");
  }
  const path = "/" + parts.join("/");
  const m = [...cfg.mounts]
    .filter((x) => path === x.path || path.startsWith(x.path === "/" ? "/" : `${x.path}/`))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!m) throw new PalError(PalCode.NOT_FOUND, `${path} is on no mount`);
  const rel = path.slice(m.path === "/" ? 1 : m.path.length + 1);
  const ext = rel.slice(rel.lastIndexOf("."));
  const media = MEDIA[ext];
  const wasm = ext === ".wasm";
  if (!media && !wasm) throw new PalError(PalCode.NOT_FOUND, `${path} is not a .ts/.js program`);
  const bound = mount(m.id);
  if (!bound) throw new PalError(PalCode.NOT_FOUND, `mount ${m.path} is gone`);
  const st = bound.backend.lstat(rel);
  if (st.type !== "file") throw new PalError(PalCode.NOT_FOUND, `${path} is not a regular file`);
  if (m.type === "chroot" && m.hostPath) {
    const host = `${m.hostPath.replace(/\/$/, "")}/${rel}`;
    const code = cfg.manifest.loader.codeDir.replace(/\/$/, "") + "/";
    if (host.startsWith(code)) return { entry: new URL(`file://${host}`).href, exePath: path };
  }
  if (wasm) throw new PalError(PalCode.NOT_FOUND, `${path}: WASI programs run from loader.code`);
  if (st.size > MAX_PROGRAM_BYTES) throw new PalError(PalCode.TOO_BIG, `${path} is too big`);
  const f = bound.backend.open(rel, { read: true }, 0);
  try {
    const buf = new Uint8Array(st.size);
    let n = 0;
    while (n < buf.length) {
      const k = f.pread(buf.subarray(n), n);
      if (k === 0) break;
      n += k;
    }
    return { entry: `data:${media};base64,${b64(buf.subarray(0, n))}`, exePath: path };
  } finally {
    f.close();
  }
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
