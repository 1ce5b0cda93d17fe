/**
 * The `Sys` implementation: one object whose methods are the sys/ families bound to a Kernel.
 * Each call validates its arguments in its family file and dispatches on the handle's kind.
 */
import { lazyProto } from "../lazy_proto.ts";
import type { Kernel } from "../kernel.ts";
import * as dir from "./dir.ts";
import * as fd from "./fd.ts";
import * as fifo from "./fifo.ts";
import * as file from "./file.ts";
import * as path from "./path.ts";
import * as proc from "./process.ts";
import * as socket from "./socket.ts";
import * as spawn from "./spawn.ts";
import { sharedPipe } from "../proc/pipe.ts";
import { AT, AT_FDCWD, type Sys } from "./types.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import { processInfo } from "../proc/process.ts";

/** How each Sys method is made for a kernel (`exit` ends the picoprocess: the Libos owns that). */
type Factories = {
  [N in keyof Sys]-?: (k: Kernel, exit: (code: number) => never) => Sys[N];
};

const METHODS: Factories = {
  open: (k) => (p, flags, mode) => file.openat(k, AT_FDCWD, p, flags, mode),
  openat: (k) => (d, p, flags, mode, res) => file.openat(k, d, p, flags, mode, res),
  close: (k) => (f) => file.close(k, f),
  read: (k) => (f, b) => file.read(k, f, b),
  write: (k) => (f, b) => file.write(k, f, b),
  readAsync: (k) => (f, b) => file.readAsync(k, f, b),
  flock: (k) => (f, op) => file.flock(k, f, op),
  flockAsync: (k) => (f, op) => file.flockAsync(k, f, op),
  writeAsync: (k) => (f, b) => file.writeAsync(k, f, b),
  pread: (k) => (f, b, pos) => file.pread(k, f, b, pos),
  pwrite: (k) => (f, b, pos) => file.pwrite(k, f, b, pos),
  readv: (k) => (f, bs) => file.readv(k, f, bs),
  writev: (k) => (f, bs) => file.writev(k, f, bs),
  lseek: (k) => (f, off, whence) => file.lseek(k, f, off, whence),
  ftruncate: (k) => (f, len) => file.ftruncate(k, f, len),
  fsync: (k) => (f) => file.fsync(k, f),
  fdatasync: (k) => (f) => file.fsync(k, f),
  fstat: (k) => (f) => file.fstat(k, f),
  dup: (k) => (f) => fd.dup(k, f),
  dup2: (k) => (a, b) => fd.dup2(k, a, b),
  dup3: (k) => (a, b, flags) => fd.dup3(k, a, b, flags),
  fcntl: (k) => (f, cmd, arg) => fd.fcntl(k, f, cmd, arg),
  pipe: (k) => (flags) => sharedPipe(k, flags ?? 0),
  poll: (k) => (fds, t) => fd.poll(k, fds, t),
  isatty: (k) => (f) => fd.isatty(k, f),
  stat: (k) => (p) => path.fstatat(k, AT_FDCWD, p, 0),
  lstat: (k) => (p) => path.fstatat(k, AT_FDCWD, p, AT.SYMLINK_NOFOLLOW),
  fstatat: (k) => (d, p, flags, res) => path.fstatat(k, d, p, flags, res),
  mkdir: (k) => (p, mode) => dir.mkdirat(k, AT_FDCWD, p, mode),
  mkdirat: (k) => (d, p, mode, res) => dir.mkdirat(k, d, p, mode, res),
  mkfifo: (k) => (p, mode) => fifo.mkfifo(k, p, mode),
  rmdir: (k) => (p) => dir.rmdirat(k, AT_FDCWD, p),
  unlink: (k) => (p) => path.unlinkat(k, AT_FDCWD, p, 0),
  unlinkat: (k) => (d, p, flags, res) => path.unlinkat(k, d, p, flags, res),
  rename: (k) => (a, b) => path.renameat(k, AT_FDCWD, a, AT_FDCWD, b),
  renameat: (k) => (da, a, db, b, res) => path.renameat(k, da, a, db, b, res),
  link: (k) => (a, b) => path.linkat(k, AT_FDCWD, a, AT_FDCWD, b, 0),
  linkat: (k) => (da, a, db, b, flags, res) => path.linkat(k, da, a, db, b, flags, res),
  symlink: (k) => (t, p) => path.symlinkat(k, t, AT_FDCWD, p),
  symlinkat: (k) => (t, d, p, res) => path.symlinkat(k, t, d, p, res),
  readlink: (k) => (p) => path.readlinkat(k, AT_FDCWD, p),
  readlinkat: (k) => (d, p, res) => path.readlinkat(k, d, p, res),
  readdir: (k) => (f, cookie) => dir.readdir(k, f, cookie),
  truncate: (k) => (p, len) => path.truncate(k, p, len),
  utimensat: (k) => (d, p, a, m, flags, res) => path.utimensat(k, d, p, a, m, flags, res),
  futimens: (k) => (f, a, m) => file.futimens(k, f, a, m),
  chmod: (k) => (p, mode) => path.fchmodat(k, AT_FDCWD, p, mode, 0),
  fchmodat: (k) => (d, p, mode, flags, res) => path.fchmodat(k, d, p, mode, flags, res),
  fchmod: (k) => (f, mode) => file.fchmod(k, f, mode),
  access: (k) => (p, mode) => path.access(k, p, mode),
  realpath: (k) => (p) => path.realpath(k, p),
  chdir: (k) => (p) => dir.chdir(k, p),
  fchdir: (k) => (f) => dir.fchdir(k, f),
  getcwd: (k) => () => dir.getcwd(k),
  umask: (k) => (mask) => proc.umask(k, mask),
  getpid: (k) => () => proc.getpid(k),
  getppid: (k) => () => proc.getppid(k),
  spawn: (k) => (req) => spawn.spawn(k, req),
  fork: (k) => (entry, state, req) => spawn.fork(k, entry, state, req),
  execve: (k) => (path, argv, env) => spawn.execve(k, path, argv, env),
  waitpid: (k) => (pid, options) => spawn.waitpid(k, pid, options),
  waitpidAsync: (k) => (pid, options) => spawn.waitpidAsync(k, pid, options),
  kill: (k) => (pid, sig) => spawn.kill(k, pid, sig),
  setpgid: (k) => (pid, pgid) => spawn.setpgid(k, pid, pgid),
  getpgid: (k) => () => spawn.getpgid(k),
  setsid: (k) => () => setsid(k),
  getsid: (k) => (pid = 0) => getsid(k, pid),
  processes: (k) => () => spawn.processes(k),
  sigaction: (k) => (sig, disp) => spawn.sigaction(k, sig, disp),
  sigprocmask: (k) => (how, set) => spawn.sigprocmask(k, how, set),
  sigpending: (k) => () => spawn.sigpending(k),
  connect: (k) => (host, port, flags) => socket.connect(k, host, port, flags),
  connectAsync: (k) => (host, port) => socket.connectAsync(k, host, port),
  listen: (k) => (host, port, flags) => socket.listen(k, host, port, flags),
  accept4: (k) => (f, flags) => socket.accept4(k, f, flags),
  acceptAsync: (k) => (f, flags) => socket.acceptAsync(k, f, flags),
  shutdown: (k) => (f, how) => socket.shutdown(k, f, how),
  shutdownAsync: (k) => (f, how) => socket.shutdownAsync(k, f, how),
  sockaddrs: (k) => (f) => socket.sockaddrs(k, f),
  exit: (_k, exit) => exit,
  clockGettime: (_k) => (c) => proc.clockGettime(c),
  getrandom: (_k) => (b) => proc.getrandom(b),
};

/** Where a Sys keeps its kernel and exit (see `createSys`). */
const KERNEL = Symbol("kernel");
const EXIT = Symbol("exit");
type Made = Record<string, unknown> & {
  [KERNEL]: Kernel;
  [EXIT]: (code: number) => never;
};

/** The prototype of every Sys: an accessor per method that makes it for the object's kernel. */
const proto = lazyProto<Made>(
  Object.keys(METHODS),
  (o, name) => METHODS[name as keyof Sys](o[KERNEL], o[EXIT]),
);

/**
 * Build the Sys of `k`; `exit` ends the picoprocess (the Libos owns that). A method is made
 * when first read (a process uses few of the ~100; making them all cost every boot ~5 KB and
 * some µs), then it is an ordinary property of the object.
 */
export function createSys(k: Kernel, exit: (code: number) => never): Sys {
  const sys = Object.create(proto) as Made;
  sys[KERNEL] = k;
  sys[EXIT] = exit;
  return sys as unknown as Sys;
}

/** setsid(2) through process_setsid; a group leader gets EPERM. */
function setsid(k: Kernel): number {
  try {
    return k.pal.call("process_setsid") as number;
  } catch (e) {
    if (e instanceof PalError && e.code === PalCode.DENIED) {
      throw new ErrnoError(Errno.EPERM, "setsid: already a process group leader");
    }
    throw palToErrno(e);
  }
}

/** getsid(2) from the process table: `pid` 0 is the caller. */
function getsid(k: Kernel, pid: number): number {
  if (!Number.isSafeInteger(pid) || pid < 0) throw new ErrnoError(Errno.EINVAL, "getsid(pid)");
  const info = processInfo(k);
  if (pid === 0 || pid === info.pid) return info.sid;
  const e = info.processes.find((q) => q.pid === pid && q.state !== "Z");
  if (!e) throw new ErrnoError(Errno.ESRCH, `no process ${pid}`);
  return e.sid;
}
