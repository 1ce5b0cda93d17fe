/**
 * The PAL ABI table: the single source of truth for every PAL call — its number, category,
 * argument and result types, and which side serves it. Guest stubs (`pal/guest/client.ts`) and
 * host dispatch (`pal/host/dispatch.ts`) are both derived from this table.
 *
 * Numbers are wire values in the call ring; never reuse one. A number missing from the host
 * dispatch answers NOT_IMPLEMENTED (ENOSYS in the libOS).
 */

/** Argument types. `int`: a safe integer (f64 on the wire). `str`: UTF-8, bounded. `bytes`:
 * input data. `out`: the byte length of an output buffer the host fills. `json`: a small JSON
 * value the handler validates. */
export type ArgType = "int" | "str" | "bytes" | "out" | "json";
/** Result types; `bytes` pairs with exactly one `out` argument. `stat`: a file's attributes in
 * a fixed binary layout (pal/stat_codec.ts); ns times come back as bigints. */
export type ResultType = "void" | "int" | "str" | "bytes" | "json" | "stat";
/** Which side serves the call: `host` through the ring, `guest` inside the picoprocess. */
export type Side = "host" | "guest";

/** The categories of Graphene's PAL. */
export type Category =
  | "streams"
  | "memory"
  | "threads"
  | "processes"
  | "rpc"
  | "misc"
  | "sandbox"
  | "ipc"
  | "debug";

/** One row of the table. */
export interface CallSpec {
  readonly num: number;
  readonly category: Category;
  readonly side: Side;
  readonly args: readonly ArgType[];
  readonly result: ResultType;
  readonly doc: string;
}

function c<const S extends Side, const A extends readonly ArgType[], const R extends ResultType>(
  num: number,
  category: Category,
  side: S,
  args: A,
  result: R,
  doc: string,
) {
  return { num, category, side, args, result, doc } as const;
}

/** The table. Keep numbers grouped by category: 1–29 streams, 30–39 memory, 40–59 threads,
 * 60–69 processes, 70–79 rpc, 80–89 misc, 90–94 sandbox, 95–99 debug, 100–119 ipc,
 * 120–129 more processes, 130–139 more streams. */
export const ABI = {
  // Streams: URIs file:, dir:, dev:, tmp:, pipe:, pipe.srv:, tcp:, tcp.srv:, udp:, udp.srv:, rpc:
  stream_open: c(
    1,
    "streams",
    "host",
    ["str", "int", "int"],
    "int",
    "open(uri, flags, mode) → handle",
  ),
  stream_read: c(2, "streams", "host", ["int", "int", "out"], "bytes", "read(h, pos|-1, len)"),
  stream_write: c(
    3,
    "streams",
    "host",
    ["int", "int", "bytes"],
    "int",
    "write(h, pos|-1, data) → n",
  ),
  stream_map: c(
    4,
    "streams",
    "host",
    ["int", "int", "out"],
    "bytes",
    "map(h, offset, len): file bytes for a VMA",
  ),
  stream_attr_query: c(5, "streams", "host", ["str"], "stat", "attributes of a URI (lstat)"),
  stream_attr_get: c(6, "streams", "host", ["int"], "stat", "attributes of a handle (fstat)"),
  stream_attr_set: c(
    7,
    "streams",
    "host",
    ["int", "json"],
    "void",
    "set size/times/mode/nonblocking of a handle",
  ),
  stream_attr_set_uri: c(
    8,
    "streams",
    "host",
    ["str", "json"],
    "void",
    "set size/times/mode by URI",
  ),
  stream_flush: c(9, "streams", "host", ["int"], "void", "flush (fsync) a handle"),
  stream_delete: c(10, "streams", "host", ["str", "int"], "void", "delete(uri, 0 file | 1 dir)"),
  stream_rename: c(11, "streams", "host", ["str", "str"], "void", "rename(uri, newUri)"),
  stream_close: c(12, "streams", "host", ["int"], "void", "close a handle"),
  stream_wait_events: c(
    13,
    "streams",
    "host",
    ["json", "int"],
    "json",
    "wait for events on handles",
  ),
  stream_readdir: c(
    14,
    "streams",
    "host",
    ["int", "int"],
    "json",
    "directory entries from a cookie",
  ),
  stream_link: c(15, "streams", "host", ["str", "str"], "void", "hard link(uri, newUri)"),
  stream_symlink: c(16, "streams", "host", ["str", "str"], "void", "symlink(target, uri)"),
  stream_readlink: c(17, "streams", "host", ["str"], "str", "readlink(uri)"),
  stream_accept: c(18, "streams", "host", ["int"], "int", "accept on a server handle → handle"),
  stream_shutdown: c(
    19,
    "streams",
    "host",
    ["int", "int"],
    "void",
    "shutdown(h, 1 rd | 2 wr | 3 both)",
  ),
  stream_statfs: c(
    20,
    "streams",
    "host",
    ["str"],
    "json",
    "capacity and use of the backend of a URI",
  ),
  pipe_create: c(21, "streams", "host", ["int"], "int", "a pipe ring shared via the host → id"),
  stream_cache_open: c(
    25,
    "streams",
    "host",
    [],
    "json",
    "a read staging buffer for this thread (arrives on the sync port) → {id, keep}",
  ),
  stream_cache_key: c(
    26,
    "streams",
    "host",
    ["int"],
    "json",
    "{key, version, size, epoch} of file h (word, version, size, word value), -1: no cache",
  ),
  stream_open_cached: c(
    130,
    "streams",
    "host",
    ["str", "int", "int"],
    "json",
    "open(file uri, flags, mode) → {h} and, when it may be cached, stream_cache_key's fields",
  ),
  stream_prefetch: c(
    27,
    "streams",
    "host",
    ["int", "int", "int", "int", "int"],
    "int",
    "read(h, pos, len) into read-ahead buffer id at off → n",
  ),
  stream_post_open: c(
    28,
    "streams",
    "host",
    [],
    "int",
    "a write-behind buffer for this thread (arrives on the sync port) → its size",
  ),
  stream_write_from: c(
    29,
    "streams",
    "host",
    ["int", "int", "int", "int", "int"],
    "int",
    "write(h, pos, len + what word added) from the write-behind buffer at off → n (posted)",
  ),
  stream_mkfifo: c(24, "streams", "host", ["str", "int"], "void", "mkfifo(uri, mode): tmpfs only"),
  stream_lock: c(
    131,
    "streams",
    "host",
    ["int", "int"],
    "void",
    "flock(h, LOCK_SH|LOCK_EX|LOCK_UN [|LOCK_NB]): waits until granted",
  ),
  pipe_close: c(22, "streams", "host", ["int", "int"], "void", "close(id, 0 read | 1 write) end"),
  file_share: c(
    23,
    "streams",
    "host",
    ["int"],
    "int",
    "share file h's open description (position buffer arrives)",
  ),
  // Memory: VMAs live in guest SharedArrayBuffers; the host keeps the quota.
  vma_alloc: c(
    30,
    "memory",
    "guest",
    ["int", "int", "int", "int"],
    "int",
    "alloc(size, addr|-1, prot, flags: 1 = shared)",
  ),
  vma_free: c(31, "memory", "guest", ["int", "int"], "void", "free(addr, size)"),
  vma_protect: c(32, "memory", "guest", ["int", "int", "int"], "void", "protect(addr, size, prot)"),
  vma_query: c(33, "memory", "guest", ["int"], "json", "query(addr) → the VMA or null"),
  mem_reserve: c(
    34,
    "memory",
    "host",
    ["int"],
    "int",
    "charge bytes to the sandbox quota → bytes used",
  ),
  mem_release: c(35, "memory", "host", ["int"], "int", "return bytes to the quota → bytes used"),
  vma_segment: c(
    36,
    "memory",
    "host",
    ["int", "int"],
    "int",
    "segment(0, bytes) new | (id, 0) held: MAP_SHARED memory (SAB arrives) → id",
  ),
  vma_segment_drop: c(
    37,
    "memory",
    "host",
    ["int"],
    "void",
    "this process maps segment id no more",
  ),
  // Threads & scheduling: guest-side over SharedArrayBuffer words.
  thread_create: c(40, "threads", "guest", ["json"], "int", "start a thread Worker sharing VMAs"),
  thread_exit: c(41, "threads", "guest", ["int"], "void", "end the calling thread"),
  thread_yield: c(42, "threads", "guest", [], "void", "yield the processor"),
  event_create: c(43, "threads", "guest", ["int"], "int", "create an event (1 = manual reset)"),
  event_set: c(44, "threads", "guest", ["int"], "void", "set an event"),
  event_clear: c(45, "threads", "guest", ["int"], "void", "clear an event"),
  event_wait: c(
    46,
    "threads",
    "guest",
    ["int", "int"],
    "int",
    "wait(event, timeoutMs) → 1 set, 0 timeout",
  ),
  futex_wait: c(
    47,
    "threads",
    "guest",
    ["int", "int", "int"],
    "int",
    "futex wait(addr, expected, timeoutMs) → 0 woken, 1 ≠, 2 timeout",
  ),
  futex_wake: c(48, "threads", "guest", ["int", "int"], "int", "futex wake(addr, count) → woken"),
  wait_any: c(
    49,
    "threads",
    "guest",
    ["json", "int"],
    "int",
    "wait for any of events → index | -1",
  ),
  thread_join: c(
    50,
    "threads",
    "guest",
    ["int", "int"],
    "int",
    "join(tid, timeoutMs) → the thread's exit code",
  ),
  thread_spawn: c(
    51,
    "threads",
    "host",
    ["int"],
    "int",
    "start thread tid's Worker + call page (setup port arrives)",
  ),
  thread_end: c(52, "threads", "host", ["int"], "void", "end thread tid: detach page, stop Worker"),
  // Processes
  process_create: c(
    60,
    "processes",
    "host",
    ["json", "bytes"],
    "int",
    "start a picoprocess from a spec (+ fork state) → pid",
  ),
  process_exit: c(
    61,
    "processes",
    "host",
    ["int"],
    "void",
    "end the calling picoprocess with a status",
  ),
  process_send_handle: c(62, "processes", "host", ["int", "int"], "void", "send handle h to pid"),
  process_recv_handle: c(
    63,
    "processes",
    "host",
    ["int"],
    "int",
    "receive a handle (timeoutMs) → h",
  ),
  process_memory_send: c(
    64,
    "processes",
    "host",
    ["int", "bytes"],
    "void",
    "bulk-copy bytes to pid",
  ),
  process_memory_recv: c(
    65,
    "processes",
    "host",
    ["int", "out"],
    "bytes",
    "receive bulk bytes (timeoutMs)",
  ),
  process_info: c(66, "processes", "host", [], "json", "pid, ppid and the sandbox's process table"),
  process_wait: c(
    67,
    "processes",
    "host",
    ["int", "int"],
    "json",
    "waitpid(pid|-1|0|-pgid, options) → status",
  ),
  process_kill: c(68, "processes", "host", ["int", "int"], "void", "kill(pid|0|-1|-pgid, sig)"),
  process_setpgid: c(69, "processes", "host", ["int", "int"], "void", "setpgid(pid, pgid)"),
  process_setsid: c(121, "processes", "host", [], "int", "setsid() → the new session id"),
  signal_table: c(
    126,
    "processes",
    "host",
    [],
    "int",
    "the sandbox's signal table (SAB arrives) → own slot | -1",
  ),
  process_recycle: c(
    122,
    "processes",
    "host",
    ["int"],
    "int",
    "end the calling process with a status → 1: its Worker is kept for another, 0: as exit",
  ),
  process_exec: c(
    120,
    "processes",
    "host",
    ["json"],
    "void",
    "exec: new program in a new Worker; pid and given fds stay",
  ),
  // RPC: MessagePort streams between picoprocesses of one sandbox.
  rpc_listen: c(70, "rpc", "host", ["str"], "int", "listen on a sandbox-local name → handle"),
  rpc_connect: c(71, "rpc", "host", ["str"], "int", "connect to a name → handle (port arrives)"),
  rpc_accept: c(
    72,
    "rpc",
    "host",
    ["int", "int"],
    "int",
    "accept(h, timeoutMs) → handle (port arrives)",
  ),
  // Misc
  time_monotonic: c(80, "misc", "guest", [], "int", "monotonic time in ns"),
  time_wall: c(81, "misc", "guest", [], "int", "wall-clock time in ns since the epoch"),
  random_bytes: c(82, "misc", "guest", ["out"], "bytes", "cryptographic random bytes"),
  cpu_info: c(83, "misc", "guest", [], "json", "cpu count and architecture"),
  memory_quota: c(84, "misc", "host", [], "json", "the sandbox's memory quota and use"),
  host_time: c(
    85,
    "misc",
    "host",
    [],
    "int",
    "the host's wall clock in ms (checks the guest clock)",
  ),
  // Sandboxing
  sandbox_set_policy: c(
    90,
    "sandbox",
    "host",
    ["json"],
    "int",
    "narrow the policy; split → new sandbox id",
  ),
  sandbox_policy: c(91, "sandbox", "host", [], "json", "the caller's current policy"),
  sandbox_release: c(92, "sandbox", "host", ["json"], "void", "give back a revoked capability"),
  sandbox_repossessions: c(
    93,
    "sandbox",
    "host",
    [],
    "json",
    "what the host took by force (repossession log)",
  ),
  // System V IPC: the host keeps ids and keys; msg/sem data paths run in shared memory.
  ipc_msgget: c(100, "ipc", "host", ["int", "int"], "int", "msgget(key, flags) → id"),
  ipc_msgctl: c(103, "ipc", "host", ["int", "int"], "json", "msgctl(id, IPC_STAT | IPC_RMID)"),
  ipc_semget: c(104, "ipc", "host", ["int", "int", "int"], "int", "semget(key, nsems, flags)"),
  ipc_semctl: c(
    106,
    "ipc",
    "host",
    ["int", "int", "int", "json"],
    "json",
    "semctl(id, semnum, IPC_STAT | IPC_RMID, arg)",
  ),
  ipc_shmget: c(107, "ipc", "host", ["int", "int", "int"], "int", "shmget(key, size, flags)"),
  ipc_shmat: c(108, "ipc", "host", ["int"], "int", "shmat(id) → size (SAB arrives)"),
  ipc_shmdt: c(109, "ipc", "host", ["int"], "void", "shmdt(id)"),
  ipc_shmctl: c(110, "ipc", "host", ["int", "int"], "json", "shmctl(id, IPC_STAT | IPC_RMID)"),
  ipc_list: c(111, "ipc", "host", ["int"], "json", "the sandbox's msg/sem/shm objects"),
  ipc_map: c(
    112,
    "ipc",
    "host",
    ["int", "int", "int"],
    "int",
    "map(0 msg | 1 sem, id, 0) → nsems (SABs arrive); 1: recover",
  ),
  // Debug
  debug_log: c(95, "debug", "host", ["str"], "void", "write a line to the sandbox trace"),
  null_call: c(96, "debug", "host", [], "int", "do nothing (benchmarks)"),
  echo_bytes: c(97, "debug", "host", ["bytes", "out"], "bytes", "echo bytes back (tests)"),
} as const;

/** A call name. */
export type CallName = keyof typeof ABI;
/** A host-served call name. */
export type HostCallName = {
  [K in CallName]: (typeof ABI)[K]["side"] extends "host" ? K : never;
}[CallName];

type ArgTs<T extends ArgType> = T extends "int" ? number
  : T extends "str" ? string
  : T extends "bytes" ? Uint8Array
  : T extends "out" ? number
  : unknown;
type MapArgs<A extends readonly ArgType[]> = { [I in keyof A]: ArgTs<A[I]> };
/** The argument tuple of a call. */
export type ArgsOf<K extends CallName> = MapArgs<(typeof ABI)[K]["args"]>;
type ResultTs<R extends ResultType> = R extends "void" ? void
  : R extends "int" ? number
  : R extends "str" ? string
  : R extends "bytes" ? Uint8Array
  : unknown;
/** The result type of a call. */
export type ResultOf<K extends CallName> = ResultTs<(typeof ABI)[K]["result"]>;

/** Rows by number, for dispatch. */
export const BY_NUMBER: ReadonlyMap<number, { name: CallName; spec: CallSpec }> = new Map(
  (Object.entries(ABI) as [CallName, CallSpec][]).map(([name, spec]) => [spec.num, { name, spec }]),
);

/** Stream open flags (the `flags` argument of `stream_open`). */
export const OpenFlag = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  EXCL: 8,
  TRUNC: 16,
  APPEND: 32,
  DIRECTORY: 64,
  NONBLOCK: 128,
} as const;

/** flock(2) operations (the `op` argument of `stream_lock`; Linux's values). */
export const LockOp = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/** Event bits for `stream_wait_events`. */
export const PollBits = { IN: 1, OUT: 4, ERR: 8, HUP: 16 } as const;
