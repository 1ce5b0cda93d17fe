/**
 * Fetch Yosys (the open synthesis suite, ISC license) as published on the npm registry by
 * YoWASP: a plain wasi_snapshot_preview1 command module (`gen/yosys.core.wasm`, ~31 MB unpacked,
 * 9 MB packed). `npm pack` downloads the pinned version (npm checks its registry integrity hash);
 * the tarball is unpacked into `vendor/` and Yosys's data files (`share/`) are written out from
 * the package's resource bundle.
 */
import { join } from "node:path";

/** The pinned package. */
export const YOSYS_PACKAGE = "@yowasp/yosys@0.55.944";
const VENDOR = new URL("./vendor/", import.meta.url).pathname;

/** Where the fetched files are. */
export interface YosysFiles {
  /** The command module. */
  readonly wasm: string;
  /** Yosys's data directory, to mount at /share. */
  readonly share: string;
}

function sh(cmd: string, args: string[], cwd: string): void {
  const r = new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" }).outputSync();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
}

/** Write a resource tree (strings, bytes, or URLs of files in the package) under `dir`. */
function writeTree(dir: string, tree: Record<string, unknown>): void {
  Deno.mkdirSync(dir, { recursive: true });
  for (const [name, v] of Object.entries(tree)) {
    const p = join(dir, name);
    if (typeof v === "string") Deno.writeTextFileSync(p, v);
    else if (v instanceof Uint8Array) Deno.writeFileSync(p, v);
    else if (v instanceof URL) Deno.copyFileSync(v, p);
    else writeTree(p, v as Record<string, unknown>);
  }
}

/**
 * Make sure Yosys is in `vendor/` (fetching it with npm the first time).
 *
 * @returns the module and share directory paths.
 * @throws {Error} when npm or tar fail (no network, no npm).
 */
export async function fetchYosys(): Promise<YosysFiles> {
  const wasm = join(VENDOR, "package", "gen", "yosys.core.wasm");
  const share = join(VENDOR, "share");
  try {
    Deno.statSync(join(share, ".complete"));
    return { wasm, share };
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  Deno.mkdirSync(VENDOR, { recursive: true });
  sh("npm", ["pack", "--silent", YOSYS_PACKAGE], VENDOR);
  const tgz = [...Deno.readDirSync(VENDOR)].find((e) => e.name.endsWith(".tgz"));
  if (!tgz) throw new Error("npm pack produced no tarball");
  sh("tar", ["xzf", tgz.name], VENDOR);
  Deno.removeSync(join(VENDOR, tgz.name));
  const res = await import(join(VENDOR, "package", "gen", "resources-yosys.js"));
  writeTree(VENDOR, res.filesystem as Record<string, unknown>);
  Deno.writeTextFileSync(join(share, ".complete"), YOSYS_PACKAGE);
  return { wasm, share };
}
