/**
 * Deno file functions over the VFS: open/openSync/create/createSync, readFile, readTextFile,
 * writeFile, writeTextFile, stat, lstat, truncate, copyFile, realPath, readLink, symlink,
 * rename, link, utime, chmod — each in a sync and an async form.
 */
import { O, S, type Sys } from "../../sys/types.ts";
import { asyncOp, type DenoCtx, pathArg } from "./ctx.ts";
import { notBytesError, notRegularSource, withDeno } from "./errors.ts";
import { fileInfo } from "./file_info.ts";
import { SandboxFsFile } from "./fs_file.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const COPY_CHUNK = 1 << 20;

/**
 * open(2) flags for Deno.OpenOptions, with Deno's checks and errors (plain Errors): some option
 * must be true, truncate needs write, create and createNew need write or append.
 */
export function openFlags(o: Deno.OpenOptions = { read: true }): number {
  if (!Object.values(o).some((v) => v === true)) {
    throw new Error("'options' requires at least one option to be true");
  }
  if (o.truncate && !o.write) throw new Error("'truncate' option requires 'write' to be true");
  if ((o.create || o.createNew) && !(o.write || o.append)) {
    throw new Error("'create' or 'createNew' options require 'write' or 'append' to be true");
  }
  const write = o.write === true || o.append === true;
  const read = o.read === true;
  let f = read && write ? O.RDWR : write ? O.WRONLY : O.RDONLY;
  if (o.append) f |= O.APPEND;
  if (o.truncate) f |= O.TRUNC;
  if (o.createNew) f |= O.CREAT | O.EXCL;
  else if (o.create) f |= O.CREAT;
  return f | O.CLOEXEC;
}

function readAll(sys: Sys, fd: number): Uint8Array {
  const size = sys.fstat(fd).size;
  let buf = new Uint8Array(size > 0 ? size + 1 : 64 * 1024);
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const k = sys.read(fd, buf.subarray(n));
    if (k === 0) break;
    n += k;
  }
  return buf.subarray(0, n);
}

function writeAll(sys: Sys, fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += sys.write(fd, data.subarray(off));
}

function withFd<T>(sys: Sys, path: string, flags: number, mode: number, fn: (fd: number) => T): T {
  const fd = sys.open(path, flags, mode);
  try {
    return fn(fd);
  } finally {
    sys.close(fd);
  }
}

function writeFlags(o: Deno.WriteFileOptions): number {
  let f = O.WRONLY | O.CLOEXEC;
  if (o.createNew) f |= O.CREAT | O.EXCL;
  else if (o.create !== false) f |= O.CREAT;
  f |= o.append ? O.APPEND : O.TRUNC;
  return f;
}

async function collect(s: ReadableStream<Uint8Array | string>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of s) parts.push(typeof c === "string" ? enc.encode(c) : c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
}

/** Run `fn` unless `o.signal` is aborted (Deno rejects with the signal's reason then). The
 * libOS call itself runs to its end once started, so the check comes first. */
function abortable<T>(o: { signal?: AbortSignal } | undefined, fn: () => T): T {
  o?.signal?.throwIfAborted();
  return fn();
}

function timeMs(t: number | Date): number {
  return t instanceof Date ? t.getTime() : t * 1000;
}

/** The file functions, to be assigned onto `Deno`. */
export function fsFunctions(ctx: DenoCtx) {
  const sync = <T>(op: string, p: string, fn: () => T) => withDeno(op, p, fn);
  const openSync = (path: string | URL, o?: Deno.OpenOptions) => {
    const p = pathArg(path);
    const fd = sync("open", p, () => ctx.sys.open(p, openFlags(o), o?.mode ?? 0o666));
    return SandboxFsFile.of(ctx, fd);
  };
  const readFileSync = (path: string | URL) => {
    const p = pathArg(path);
    return sync("readfile", p, () => withFd(ctx.sys, p, O.RDONLY, 0, (fd) => readAll(ctx.sys, fd)));
  };
  const writeFileSync = (path: string | URL, data: Uint8Array, o: Deno.WriteFileOptions = {}) => {
    const p = pathArg(path);
    // Checked before the file is opened: a wrong argument leaves no file behind.
    if (!(data instanceof Uint8Array)) throw notBytesError(data);
    sync(
      "writefile",
      p,
      () => withFd(ctx.sys, p, writeFlags(o), o.mode ?? 0o666, (fd) => writeAll(ctx.sys, fd, data)),
    );
  };
  const copyFileSync = (from: string | URL, to: string | URL) => {
    const a = pathArg(from);
    const b = pathArg(to);
    withDeno("copy", a, () =>
      withFd(ctx.sys, a, O.RDONLY, 0, (src) => {
        const st = ctx.sys.fstat(src);
        if ((st.mode & S.IFMT) !== S.IFREG) throw notRegularSource(a, b);
        const mode = st.mode & 0o777;
        withFd(ctx.sys, b, O.WRONLY | O.CREAT | O.TRUNC, mode, (dst) => {
          const buf = new Uint8Array(COPY_CHUNK);
          for (;;) {
            const n = ctx.sys.read(src, buf);
            if (n === 0) break;
            writeAll(ctx.sys, dst, buf.subarray(0, n));
          }
        });
      }), b);
  };
  const api = {
    openSync,
    open: (path: string | URL, o?: Deno.OpenOptions) =>
      asyncOp(ctx, "open", String(path), () => openSync(path, o)),
    createSync: (path: string | URL) =>
      openSync(path, { read: true, write: true, create: true, truncate: true }),
    create: (path: string | URL) =>
      asyncOp(
        ctx,
        "open",
        String(path),
        () => openSync(path, { read: true, write: true, create: true, truncate: true }),
      ),
    readFileSync,
    readFile: (path: string | URL, o?: Deno.ReadFileOptions) =>
      asyncOp(ctx, "readfile", String(path), () => abortable(o, () => readFileSync(path))),
    readTextFileSync: (path: string | URL) => dec.decode(readFileSync(path)),
    readTextFile: (path: string | URL, o?: Deno.ReadFileOptions) =>
      asyncOp(
        ctx,
        "readfile",
        String(path),
        () => abortable(o, () => dec.decode(readFileSync(path))),
      ),
    writeFileSync,
    writeFile: (
      path: string | URL,
      data: Uint8Array | ReadableStream<Uint8Array>,
      o?: Deno.WriteFileOptions,
    ) =>
      asyncOp(ctx, "writefile", String(path), async () => {
        o?.signal?.throwIfAborted();
        const bytes = data instanceof ReadableStream ? await collect(data) : data;
        if (!(bytes instanceof Uint8Array)) throw notBytesError(bytes);
        abortable(o, () => writeFileSync(path, bytes, o));
      }),
    // TextEncoder makes a string of anything else, as Deno's writeTextFile does.
    writeTextFileSync: (path: string | URL, data: string, o?: Deno.WriteFileOptions) =>
      writeFileSync(path, enc.encode(data), o),
    writeTextFile: (
      path: string | URL,
      data: string | ReadableStream<string>,
      o?: Deno.WriteFileOptions,
    ) =>
      asyncOp(ctx, "writefile", String(path), async () => {
        o?.signal?.throwIfAborted();
        const bytes = data instanceof ReadableStream ? await collect(data) : enc.encode(data);
        abortable(o, () => writeFileSync(path, bytes, o));
      }),
    statSync: (path: string | URL) => {
      const p = pathArg(path);
      return fileInfo(sync("stat", p, () => ctx.sys.stat(p)));
    },
    stat: (path: string | URL) => asyncOp(ctx, "stat", String(path), () => api.statSync(path)),
    lstatSync: (path: string | URL) => {
      const p = pathArg(path);
      return fileInfo(sync("lstat", p, () => ctx.sys.lstat(p)));
    },
    lstat: (path: string | URL) => asyncOp(ctx, "lstat", String(path), () => api.lstatSync(path)),
    truncateSync: (path: string | URL, len = 0) => {
      const p = pathArg(path);
      sync("truncate", p, () => ctx.sys.truncate(p, Math.max(0, len)));
    },
    truncate: (path: string | URL, len?: number) =>
      asyncOp(ctx, "truncate", String(path), () => api.truncateSync(path, len)),
    copyFileSync,
    copyFile: (from: string | URL, to: string | URL) =>
      asyncOp(ctx, "copy", String(from), () => copyFileSync(from, to)),
    realPathSync: (path: string | URL) => {
      const p = pathArg(path);
      return sync("realpath", p, () => ctx.sys.realpath(p));
    },
    realPath: (path: string | URL) =>
      asyncOp(ctx, "realpath", String(path), () => api.realPathSync(path)),
    readLinkSync: (path: string | URL) => {
      const p = pathArg(path);
      return sync("readlink", p, () => ctx.sys.readlink(p));
    },
    readLink: (path: string | URL) =>
      asyncOp(ctx, "readlink", String(path), () => api.readLinkSync(path)),
    symlinkSync: (target: string | URL, path: string | URL) => {
      const t = pathArg(target);
      const p = pathArg(path);
      withDeno("symlink", t, () => ctx.sys.symlink(t, p), p);
    },
    symlink: (target: string | URL, path: string | URL) =>
      asyncOp(ctx, "symlink", String(path), () => api.symlinkSync(target, path)),
    renameSync: (from: string | URL, to: string | URL) => {
      const a = pathArg(from);
      const b = pathArg(to);
      withDeno("rename", a, () => ctx.sys.rename(a, b), b);
    },
    rename: (from: string | URL, to: string | URL) =>
      asyncOp(ctx, "rename", String(from), () => api.renameSync(from, to)),
    linkSync: (existing: string, newPath: string) =>
      withDeno("link", existing, () => ctx.sys.link(existing, newPath), newPath),
    link: (existing: string, newPath: string) =>
      asyncOp(ctx, "link", existing, () => api.linkSync(existing, newPath)),
    chmodSync: (path: string | URL, mode: number) => {
      const p = pathArg(path);
      // As Deno: the mode is taken as a u32 (of which chmod keeps the low twelve bits).
      if (typeof mode !== "number") throw new TypeError("expected u32");
      const m = mode >>> 0;
      sync("chmod", p, () => ctx.sys.chmod(p, m));
    },
    chmod: (path: string | URL, mode: number) =>
      asyncOp(ctx, "chmod", String(path), () => api.chmodSync(path, mode)),
    utimeSync: (path: string | URL, atime: number | Date, mtime: number | Date) => {
      const p = pathArg(path);
      sync("utime", p, () => ctx.sys.utimensat(-100, p, timeMs(atime), timeMs(mtime), 0));
    },
    utime: (path: string | URL, atime: number | Date, mtime: number | Date) =>
      asyncOp(ctx, "utime", String(path), () => api.utimeSync(path, atime, mtime)),
  };
  return api;
}
