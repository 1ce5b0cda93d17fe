/**
 * The libOS system-call interface: the contract between the libOS core (fd table, VFS, pipes)
 * and the personalities on top of it (native API, Deno namespace, WASI). Linux semantics: every
 * call returns a value or throws `ErrnoError` (libos/errno.ts). Paths are guest paths.
 */
import { LockOp } from "../../pal/abi.ts";
import type { ProcEntry, SpawnRequest, WaitResult } from "../proc/process.ts";
import type { Disposition } from "../signal/signals.ts";
export type { ProcEntry, SpawnRequest, WaitResult } from "../proc/process.ts";
export type { Disposition } from "../signal/signals.ts";

/** open(2) flags (Linux x86_64 values). */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
  SYNC: 0o4010000,
  PATH: 0o10000000,
} as const;

/** Special dirfd: the current working directory. */
export const AT_FDCWD = -100;
/** *at flags. */
export const AT = {
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  SYMLINK_FOLLOW: 0x400,
  EACCESS: 0x200,
} as const;

/** A TCP endpoint (getsockname / getpeername). */
export interface SockAddr {
  readonly hostname: string;
  readonly port: number;
}

/** File type bits of `Stat.mode`. */
export const S = {
  IFMT: 0o170000,
  IFSOCK: 0o140000,
  IFLNK: 0o120000,
  IFREG: 0o100000,
  IFBLK: 0o060000,
  IFDIR: 0o040000,
  IFCHR: 0o020000,
  IFIFO: 0o010000,
} as const;

export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;

/** flock(2) operations (the PAL's `stream_lock` takes them as they are). */
export const LOCK = LockOp;

/** access(2) modes. */
export const ACCESS = { F_OK: 0, X_OK: 1, W_OK: 2, R_OK: 4 } as const;

/** poll(2) bits. */
export const POLL = { IN: 1, PRI: 2, OUT: 4, ERR: 8, HUP: 16, NVAL: 32 } as const;

/** stat(2) result. Times in ms since the epoch (fractional for sub-ms precision). */
export interface Stat {
  dev: number;
  ino: number;
  /** Type bits (S.IF*) | permission bits. */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  /** The same times in ns since the epoch, where the file system knows them exactly. */
  atimeNs?: bigint;
  mtimeNs?: bigint;
  ctimeNs?: bigint;
}

/** A time argument of utimensat/futimens: ms (number) or ns since the epoch (bigint, for
 * sub-µs precision); null = leave unchanged (UTIME_OMIT); "now" = the current time. */
export type TimeArg = number | bigint | null | "now";

/** A directory entry with the cookie that resumes the listing after it. */
export interface Dirent {
  name: string;
  /** S.IF* type bits of the entry (0 if unknown). */
  type: number;
  ino: number;
  /** Pass to `readdir` to continue after this entry. */
  next: number;
}

/** One poll(2) request/answer. */
export interface PollFd {
  fd: number;
  events: number;
  revents: number;
}

/** Options of resolution for *at calls: WASI needs RESOLVE_BENEATH semantics. */
export interface ResolveOptions {
  /** Refuse (ENOTCAPABLE) any path that leaves the directory `dirfd` names — via `..`, an
   * absolute path, or a symlink — as Linux openat2 RESOLVE_BENEATH. */
  beneath?: boolean;
}

/** The single-process POSIX surface of the libOS (synchronous; the Deno personality wraps it
 * for its async API). */
export interface Sys {
  // files and fds
  open(path: string, flags: number, mode?: number): number;
  openat(dirfd: number, path: string, flags: number, mode?: number, res?: ResolveOptions): number;
  close(fd: number): void;
  read(fd: number, buf: Uint8Array): number;
  write(fd: number, buf: Uint8Array): number;
  /** read(2) that lets the event loop run while it waits (pipes, stdin); files read at once. */
  readAsync(fd: number, buf: Uint8Array): Promise<number>;
  /** flock(2): LOCK.SH, LOCK.EX or LOCK.UN, with LOCK.NB not to wait (EWOULDBLOCK). */
  flock(fd: number, op: number): void;
  /** `flock` without blocking the thread while it waits. */
  flockAsync(fd: number, op: number): Promise<void>;
  /** write(2) that lets the event loop run while a pipe is full. */
  writeAsync(fd: number, buf: Uint8Array): Promise<number>;
  pread(fd: number, buf: Uint8Array, pos: number): number;
  pwrite(fd: number, buf: Uint8Array, pos: number): number;
  readv(fd: number, bufs: Uint8Array[]): number;
  writev(fd: number, bufs: Uint8Array[]): number;
  lseek(fd: number, offset: number, whence: number): number;
  ftruncate(fd: number, len: number): void;
  fsync(fd: number): void;
  fdatasync(fd: number): void;
  fstat(fd: number): Stat;
  dup(fd: number): number;
  dup2(oldfd: number, newfd: number): number;
  dup3(oldfd: number, newfd: number, flags: number): number;
  /** F_GETFL / F_SETFL (O_APPEND, O_NONBLOCK) and F_GETFD / F_SETFD (FD_CLOEXEC). */
  fcntl(fd: number, cmd: number, arg?: number): number;
  /** A pipe pair [readFd, writeFd] (pal/pipe_ring.ts rings). */
  pipe(flags?: number): [number, number];
  poll(fds: PollFd[], timeoutMs: number): number;
  isatty(fd: number): boolean;
  // paths
  stat(path: string): Stat;
  lstat(path: string): Stat;
  fstatat(dirfd: number, path: string, flags: number, res?: ResolveOptions): Stat;
  mkdir(path: string, mode?: number): void;
  mkdirat(dirfd: number, path: string, mode: number, res?: ResolveOptions): void;
  /** mkfifo(3): a FIFO node (tmpfs and chroot mounts; EOPNOTSUPP elsewhere); mode default 0o666. */
  mkfifo(path: string, mode?: number): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  unlinkat(dirfd: number, path: string, flags: number, res?: ResolveOptions): void;
  rename(from: string, to: string): void;
  renameat(
    olddirfd: number,
    oldpath: string,
    newdirfd: number,
    newpath: string,
    res?: ResolveOptions,
  ): void;
  link(existing: string, newPath: string): void;
  linkat(
    olddirfd: number,
    oldpath: string,
    newdirfd: number,
    newpath: string,
    flags: number,
    res?: ResolveOptions,
  ): void;
  symlink(target: string, path: string): void;
  symlinkat(target: string, dirfd: number, path: string, res?: ResolveOptions): void;
  readlink(path: string): string;
  readlinkat(dirfd: number, path: string, res?: ResolveOptions): string;
  /** Entries of the directory open as `fd`, starting after `cookie` (0 = from the start). */
  readdir(fd: number, cookie: number): { entries: Dirent[]; eof: boolean };
  truncate(path: string, len: number): void;
  /** Times: see {@link TimeArg} (a number is ms, a bigint ns). */
  utimensat(
    dirfd: number,
    path: string,
    atime: TimeArg,
    mtime: TimeArg,
    flags: number,
    res?: ResolveOptions,
  ): void;
  futimens(fd: number, atime: TimeArg, mtime: TimeArg): void;
  /** chmod(2): the permission bits (mode & 0o7777) of `path`, following a final symlink. */
  chmod(path: string, mode: number): void;
  /** fchmodat(2): AT_SYMLINK_NOFOLLOW on a symlink is EOPNOTSUPP, as on Linux. */
  fchmodat(dirfd: number, path: string, mode: number, flags: number, res?: ResolveOptions): void;
  fchmod(fd: number, mode: number): void;
  access(path: string, mode: number): void;
  realpath(path: string): string;
  chdir(path: string): void;
  fchdir(fd: number): void;
  getcwd(): string;
  umask(mask: number): number;
  // process
  getpid(): number;
  getppid(): number;
  /** posix_spawn: start a program (guest path or a /bin built-in) as a child. */
  spawn(req: SpawnRequest): number;
  /** fork-with-state: the child runs this program's export `entry(state)`. */
  fork(entry: string, state: unknown, req?: Partial<SpawnRequest>): number;
  /** execve: replace the program (pid and fds without FD_CLOEXEC stay); never returns. */
  execve(path: string, argv: readonly string[], env?: Readonly<Record<string, string>>): never;
  waitpid(pid: number, options?: number): WaitResult;
  waitpidAsync(pid: number, options?: number): Promise<WaitResult>;
  kill(pid: number, sig: number): void;
  setpgid(pid: number, pgid: number): void;
  getpgid(): number;
  /** setsid: lead a new session and group (EPERM for a group leader). @returns the sid */
  setsid(): number;
  /** getsid: the session of `pid` (0 or omitted: the caller); ESRCH for no such process. */
  getsid(pid?: number): number;
  /** The sandbox's process table (ps, /proc). */
  processes(): ProcEntry[];
  sigaction(sig: number, disp: Disposition): Disposition;
  sigprocmask(how: number, set: number): number;
  sigpending(): number;
  /** Ends the picoprocess; never returns. */
  exit(code: number): never;
  // sockets (TCP streams bound by the host against net.connect / net.listen)
  /** connect(2) to `host:port` (blocks the thread); flags: O_NONBLOCK | O_CLOEXEC. */
  connect(host: string, port: number, flags?: number): number;
  /** connect(2) without blocking the event loop. */
  connectAsync(host: string, port: number): Promise<number>;
  /** socket+bind+listen(2) on `host:port`; flags: O_NONBLOCK | O_CLOEXEC. */
  listen(host: string, port: number, flags?: number): number;
  /** accept4(2); flags: O_NONBLOCK | O_CLOEXEC (SOCK_NONBLOCK, SOCK_CLOEXEC). */
  accept4(fd: number, flags: number): number;
  /** accept4(2) without blocking the event loop. */
  acceptAsync(fd: number, flags?: number): Promise<number>;
  /** shutdown(2): SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2. */
  shutdown(fd: number, how: number): void;
  /** shutdown(2) without blocking the event loop. */
  shutdownAsync(fd: number, how: number): Promise<void>;
  /** getsockname/getpeername: null where the libOS does not know the address. */
  sockaddrs(fd: number): { local: SockAddr | null; remote: SockAddr | null; listening: boolean };
  // misc
  clockGettime(clock: "realtime" | "monotonic"): bigint;
  getrandom(buf: Uint8Array): number;
}
