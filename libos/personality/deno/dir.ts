/**
 * Deno directory functions over the VFS: readDir, mkdir (recursive), remove (recursive),
 * makeTempDir, makeTempFile, cwd, chdir.
 */
import { Errno, ErrnoError } from "../../errno.ts";
import { O, S, type Sys } from "../../sys/types.ts";
import { asyncOp, type DenoCtx, pathArg } from "./ctx.ts";
import { isControl, rustDebug, withDeno } from "./errors.ts";

function* entries(sys: Sys, path: string): Generator<Deno.DirEntry> {
  const fd = sys.open(path, O.RDONLY | O.DIRECTORY | O.CLOEXEC);
  try {
    let cookie = 0;
    for (;;) {
      const r = sys.readdir(fd, cookie);
      for (const e of r.entries) {
        cookie = e.next;
        const t = e.type & S.IFMT;
        yield {
          name: e.name,
          isFile: t === S.IFREG,
          isDirectory: t === S.IFDIR,
          isSymlink: t === S.IFLNK,
        };
      }
      if (r.eof || r.entries.length === 0) return;
    }
  } finally {
    sys.close(fd);
  }
}

/**
 * mkdir -p, with Deno's errors: a directory already there is fine; a file in the way is EEXIST as
 * the last component and ENOTDIR before it; a read-only mount's missing directory is EROFS.
 */
function mkdirAll(sys: Sys, path: string, mode: number): void {
  const abs = path.startsWith("/");
  const parts = path.split("/").filter((p) => p !== "");
  for (let i = 1; i <= parts.length; i++) {
    const prefix = (abs ? "/" : "") + parts.slice(0, i).join("/");
    try {
      sys.mkdir(prefix, mode);
    } catch (e) {
      if (!(e instanceof ErrnoError) || (e.errno !== Errno.EEXIST && e.errno !== Errno.EROFS)) {
        throw e;
      }
      let isDir: boolean;
      try {
        isDir = (sys.stat(prefix).mode & S.IFMT) === S.IFDIR;
      } catch (_e) {
        throw e;
      }
      if (isDir) continue;
      if (e.errno === Errno.EEXIST && i < parts.length) {
        throw new ErrnoError(Errno.ENOTDIR, undefined, prefix);
      }
      throw e;
    }
  }
}

function removeAll(sys: Sys, path: string): void {
  const st = sys.lstat(path);
  if ((st.mode & S.IFMT) !== S.IFDIR) return sys.unlink(path);
  const names = [...entries(sys, path)].map((e) => e.name);
  for (const n of names) removeAll(sys, `${path.replace(/\/+$/, "")}/${n}`);
  sys.rmdir(path);
}

/** A temp name as Deno makes it: a random 64-bit number in hex (at least 8 digits). */
function tempName(o: Deno.MakeTempOptions): string {
  const [n] = crypto.getRandomValues(new BigUint64Array(1));
  return `${o.prefix ?? ""}${n!.toString(16).padStart(8, "0")}${o.suffix ?? ""}`;
}

/** Characters Deno refuses in a temp name's prefix or suffix (besides control characters). */
const BANNED = '<>:"/\\|?*';

/** Deno's check of a temp name's prefix and suffix (a plain Error, as Deno's). */
function checkAffixes(o: Deno.MakeTempOptions): void {
  for (const part of [o.prefix, o.suffix]) {
    if (part === undefined || part === null) continue;
    const chars = [...String(part)];
    const control = chars.find(isControl);
    if (control !== undefined) {
      throw new Error(`Invalid control character in prefix or suffix: ${rustDebug(control)}`);
    }
    const bad = chars.find((c) => BANNED.includes(c));
    if (bad !== undefined) {
      throw new Error(`Invalid character in prefix or suffix: ${rustDebug(bad)}`);
    }
  }
}

/** The directory functions, to be assigned onto `Deno`. */
export function dirFunctions(ctx: DenoCtx, env: { get(k: string): string | undefined }) {
  const tempDir = (o: Deno.MakeTempOptions): string => {
    if (o.dir !== undefined) return pathArg(o.dir as string | URL);
    const fromEnv = env.get("TMPDIR");
    if (fromEnv) return fromEnv;
    try {
      if ((ctx.sys.stat("/tmp").mode & S.IFMT) === S.IFDIR) return "/tmp";
    } catch (_e) {
      // No /tmp in this sandbox: fall back to the working directory.
    }
    return ctx.sys.getcwd();
  };
  /** Make a fresh name in the temp dir with `make`; a failure names no path, as Deno's. */
  const makeTemp = (o: Deno.MakeTempOptions, make: (p: string) => void): string => {
    checkAffixes(o);
    const dir = tempDir(o).replace(/\/+$/, "") || "/";
    for (;;) {
      const p = `${dir === "/" ? "" : dir}/${tempName(o)}`;
      try {
        make(p);
        return p;
      } catch (e) {
        if (!(e instanceof ErrnoError)) throw e;
        if (e.errno !== Errno.EEXIST) throw new ErrnoError(e.errno, e.reason);
      }
    }
  };
  const api = {
    readDirSync: (path: string | URL): IteratorObject<Deno.DirEntry> & Iterable<Deno.DirEntry> => {
      const p = pathArg(path);
      const all = withDeno("readdir", p, () => [...entries(ctx.sys, p)]);
      return all[Symbol.iterator]();
    },
    readDir: (path: string | URL): AsyncIterable<Deno.DirEntry> => {
      const p = pathArg(path);
      const list = asyncOp(
        ctx,
        "readdir",
        p,
        () => withDeno("readdir", p, () => [...entries(ctx.sys, p)]),
      );
      return {
        async *[Symbol.asyncIterator]() {
          yield* await list;
        },
      };
    },
    mkdirSync: (path: string | URL, o: Deno.MkdirOptions = {}) => {
      const p = pathArg(path);
      const mode = o.mode ?? 0o777;
      withDeno(
        "mkdir",
        p,
        () => (o.recursive ? mkdirAll(ctx.sys, p, mode) : ctx.sys.mkdir(p, mode)),
      );
    },
    mkdir: (path: string | URL, o?: Deno.MkdirOptions) =>
      asyncOp(ctx, "mkdir", String(path), () => api.mkdirSync(path, o)),
    removeSync: (path: string | URL, o: Deno.RemoveOptions = {}) => {
      const p = pathArg(path);
      withDeno("remove", p, () => {
        if (o.recursive) return removeAll(ctx.sys, p);
        const st = ctx.sys.lstat(p);
        if ((st.mode & S.IFMT) === S.IFDIR) ctx.sys.rmdir(p);
        else ctx.sys.unlink(p);
      });
    },
    remove: (path: string | URL, o?: Deno.RemoveOptions) =>
      asyncOp(ctx, "remove", String(path), () => api.removeSync(path, o)),
    makeTempDirSync: (o: Deno.MakeTempOptions = {}) =>
      withDeno("tmpdir", undefined, () => makeTemp(o, (p) => ctx.sys.mkdir(p, 0o700))),
    makeTempDir: (o?: Deno.MakeTempOptions) =>
      asyncOp(ctx, "tmpdir", undefined, () => api.makeTempDirSync(o)),
    makeTempFileSync: (o: Deno.MakeTempOptions = {}) =>
      withDeno(
        "tmpfile",
        undefined,
        () =>
          makeTemp(
            o,
            (p) => ctx.sys.close(ctx.sys.open(p, O.WRONLY | O.CREAT | O.EXCL | O.CLOEXEC, 0o600)),
          ),
      ),
    makeTempFile: (o?: Deno.MakeTempOptions) =>
      asyncOp(ctx, "tmpfile", undefined, () => api.makeTempFileSync(o)),
    cwd: () => withDeno("getcwd", undefined, () => ctx.sys.getcwd()),
    chdir: (path: string | URL) => {
      const p = pathArg(path);
      withDeno("chdir", p, () => ctx.sys.chdir(p));
    },
  };
  return api;
}
