/**
 * The `Sys` implementation: one object whose methods are the sys/ families bound to a Kernel.
 * Each call validates its arguments in its family file and dispatches on the handle's kind.
 */
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

/** Build the Sys of `k`; `exit` ends the picoprocess (the Libos owns that). */
export function createSys(k: Kernel, exit: (code: number) => never): Sys {
  return {
    open: (p, flags, mode) => file.openat(k, AT_FDCWD, p, flags, mode),
    openat: (d, p, flags, mode, res) => file.openat(k, d, p, flags, mode, res),
    close: (f) => file.close(k, f),
    read: (f, b) => file.read(k, f, b),
    write: (f, b) => file.write(k, f, b),
    readAsync: (f, b) => file.readAsync(k, f, b),
    writeAsync: (f, b) => file.writeAsync(k, f, b),
    pread: (f, b, pos) => file.pread(k, f, b, pos),
    pwrite: (f, b, pos) => file.pwrite(k, f, b, pos),
    readv: (f, bs) => file.readv(k, f, bs),
    writev: (f, bs) => file.writev(k, f, bs),
    lseek: (f, off, whence) => file.lseek(k, f, off, whence),
    ftruncate: (f, len) => file.ftruncate(k, f, len),
    fsync: (f) => file.fsync(k, f),
    fdatasync: (f) => file.fsync(k, f),
    fstat: (f) => file.fstat(k, f),
    dup: (f) => fd.dup(k, f),
    dup2: (a, b) => fd.dup2(k, a, b),
    dup3: (a, b, flags) => fd.dup3(k, a, b, flags),
    fcntl: (f, cmd, arg) => fd.fcntl(k, f, cmd, arg),
    pipe: (flags) => sharedPipe(k, flags ?? 0),
    poll: (fds, t) => fd.poll(k, fds, t),
    isatty: (f) => fd.isatty(k, f),
    stat: (p) => path.fstatat(k, AT_FDCWD, p, 0),
    lstat: (p) => path.fstatat(k, AT_FDCWD, p, AT.SYMLINK_NOFOLLOW),
    fstatat: (d, p, flags, res) => path.fstatat(k, d, p, flags, res),
    mkdir: (p, mode) => dir.mkdirat(k, AT_FDCWD, p, mode),
    mkdirat: (d, p, mode, res) => dir.mkdirat(k, d, p, mode, res),
    mkfifo: (p, mode) => fifo.mkfifo(k, p, mode),
    rmdir: (p) => dir.rmdirat(k, AT_FDCWD, p),
    unlink: (p) => path.unlinkat(k, AT_FDCWD, p, 0),
    unlinkat: (d, p, flags, res) => path.unlinkat(k, d, p, flags, res),
    rename: (a, b) => path.renameat(k, AT_FDCWD, a, AT_FDCWD, b),
    renameat: (da, a, db, b, res) => path.renameat(k, da, a, db, b, res),
    link: (a, b) => path.linkat(k, AT_FDCWD, a, AT_FDCWD, b, 0),
    linkat: (da, a, db, b, flags, res) => path.linkat(k, da, a, db, b, flags, res),
    symlink: (t, p) => path.symlinkat(k, t, AT_FDCWD, p),
    symlinkat: (t, d, p, res) => path.symlinkat(k, t, d, p, res),
    readlink: (p) => path.readlinkat(k, AT_FDCWD, p),
    readlinkat: (d, p, res) => path.readlinkat(k, d, p, res),
    readdir: (f, cookie) => dir.readdir(k, f, cookie),
    truncate: (p, len) => path.truncate(k, p, len),
    utimensat: (d, p, a, m, flags, res) => path.utimensat(k, d, p, a, m, flags, res),
    futimens: (f, a, m) => file.futimens(k, f, a, m),
    access: (p, mode) => path.access(k, p, mode),
    realpath: (p) => path.realpath(k, p),
    chdir: (p) => dir.chdir(k, p),
    fchdir: (f) => dir.fchdir(k, f),
    getcwd: () => dir.getcwd(k),
    umask: (mask) => proc.umask(k, mask),
    getpid: () => proc.getpid(k),
    getppid: () => proc.getppid(k),
    spawn: (req) => spawn.spawn(k, req),
    fork: (entry, state, req) => spawn.fork(k, entry, state, req),
    execve: (path, argv, env) => spawn.execve(k, path, argv, env),
    waitpid: (pid, options) => spawn.waitpid(k, pid, options),
    waitpidAsync: (pid, options) => spawn.waitpidAsync(k, pid, options),
    kill: (pid, sig) => spawn.kill(k, pid, sig),
    setpgid: (pid, pgid) => spawn.setpgid(k, pid, pgid),
    getpgid: () => spawn.getpgid(k),
    setsid: () => setsid(k),
    getsid: (pid = 0) => getsid(k, pid),
    processes: () => spawn.processes(k),
    sigaction: (sig, disp) => spawn.sigaction(k, sig, disp),
    sigprocmask: (how, set) => spawn.sigprocmask(k, how, set),
    sigpending: () => spawn.sigpending(k),
    connect: (host, port, flags) => socket.connect(k, host, port, flags),
    connectAsync: (host, port) => socket.connectAsync(k, host, port),
    listen: (host, port, flags) => socket.listen(k, host, port, flags),
    accept4: (f, flags) => socket.accept4(k, f, flags),
    acceptAsync: (f, flags) => socket.acceptAsync(k, f, flags),
    shutdown: (f, how) => socket.shutdown(k, f, how),
    shutdownAsync: (f, how) => socket.shutdownAsync(k, f, how),
    sockaddrs: (f) => socket.sockaddrs(k, f),
    exit,
    clockGettime: (c) => proc.clockGettime(c),
    getrandom: (b) => proc.getrandom(b),
  };
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
