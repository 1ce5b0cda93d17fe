/**
 * Signals shared by the host and the libOS: Linux numbers, names, default actions, and the
 * per-process signal page both sides use.
 *
 * Signal page (a SharedArrayBuffer of 8 Int32 words, created by the host, one per process):
 *   [0] PENDING  bit n = signal n pending (host ORs bits in; the guest clears what it delivers)
 *   [1] HANDLED  bit n = the guest has a handler for signal n (guest writes)
 *   [2] IGNORED  bit n = the guest ignores signal n (guest writes)
 *   [3] BLOCKED  bit n = signal n is masked (guest writes)
 *   [4] STOPPED  1 while stopped by SIGSTOP/SIGTSTP (host writes; the guest waits at safe points)
 *   [5] SEQ      bumped and notified by the host on every delivery (the guest's event loop
 *                sleeps on it)
 *   [6] FLAGS    host writes: bit0 TABLE = this process uses the sandbox's signal table (below);
 *                cleared for every process of the host once any process splits into a new sandbox
 *   [7] SLOT     host writes: this process's slot in the signal table, -1 for none
 * The host reads HANDLED/IGNORED/BLOCKED to pick the action; a guest that lies only hurts itself:
 * SIGKILL and SIGSTOP are never consulted against them. The page is private to one process and
 * the host.
 *
 * Signal table (one SharedArrayBuffer per sandbox host, mapped into every process of it that
 * asks with `signal_table`): SIGNAL_TABLE_SLOTS slots of 16 Int32 words (one 64-byte line each).
 * It lets a process deliver a catchable signal to another without the host (kill → Atomics.or +
 * notify). Every process of the host can write every word, so nothing in it is trusted:
 *   [0] PID      host writes: the pid owning the slot, 0 when free
 *   [1] LOCK     0 free, else held by a sender (or the host) while it checks PID and sets PENDING
 *   [2] PENDING  bit n = signal n pending (senders OR bits in under LOCK; the owner clears them)
 *   [3] HANDLED  the owner's mirror of its page's HANDLED (senders read it)
 *   [4] IGNORED  mirror of IGNORED
 *   [5] BLOCKED  mirror of BLOCKED
 *   [6] SEQ      bumped and notified by a sender after it set PENDING (the owner's event loop and,
 *                while the owner is blocked in a host call, the host sleep on it)
 * A sender delivers itself only a signal in 1..31 other than SIGKILL/SIGSTOP/SIGCONT to a pid > 0
 * found in a slot whose target handles or blocks it (or ignores it: dropped); everything else —
 * default actions, groups, unknown pids, a busy LOCK — goes to the host (`process_kill`). The
 * owner reads the slot's PENDING only while its page's TABLE flag is set, so after a split no
 * process trusts bits another sandbox could write. The host never reads the table to decide
 * anything but whether to interrupt a blocked host call of the slot's owner with EINTR (which
 * the owner's own page confirms: HANDLED and BLOCKED come from the page).
 */

/** Linux signal numbers. */
export const SIG = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

/** A signal name. */
export type SignalName = keyof typeof SIG;

const NAMES = new Map<number, SignalName>(
  (Object.entries(SIG) as [SignalName, number][]).map(([k, v]) => [v, k]),
);

/** Name of signal `n`, or null when `n` is not a signal. */
export function signalName(n: number): SignalName | null {
  return NAMES.get(n) ?? null;
}

/** Number of a signal name ("SIGTERM" or "TERM"), or null. */
export function signalNumber(name: string): number | null {
  const k = (name.startsWith("SIG") ? name : `SIG${name}`) as SignalName;
  return SIG[k] ?? null;
}

/** What a signal does when nobody handles it. */
export type DefaultAction = "terminate" | "ignore" | "stop" | "continue";

/** The default action of signal `n`. */
export function defaultAction(n: number): DefaultAction {
  switch (n) {
    case SIG.SIGCHLD:
    case SIG.SIGURG:
    case SIG.SIGWINCH:
      return "ignore";
    case SIG.SIGSTOP:
    case SIG.SIGTSTP:
    case SIG.SIGTTIN:
    case SIG.SIGTTOU:
      return "stop";
    case SIG.SIGCONT:
      return "continue";
    default:
      return "terminate";
  }
}

/** Word indices of the signal page. */
export const SigWord = {
  PENDING: 0,
  HANDLED: 1,
  IGNORED: 2,
  BLOCKED: 3,
  STOPPED: 4,
  SEQ: 5,
  FLAGS: 6,
  SLOT: 7,
  /** Set by the host when the Worker of an exited process may end (libos/libos.ts `exit`,
   * sandbox/host/proc_retire.ts): the exit is reported at once, the teardown waits. */
  RETIRE: 8,
} as const;

/** FLAGS bit: the process uses the sandbox's signal table. */
export const SIG_FLAG_TABLE = 1;

/** Word indices inside one slot of the signal table. */
export const SlotWord = {
  PID: 0,
  LOCK: 1,
  PENDING: 2,
  HANDLED: 3,
  IGNORED: 4,
  BLOCKED: 5,
  SEQ: 6,
} as const;

/** Int32 words per slot of the signal table. */
export const SLOT_WORDS = 16;
/** Slots of a sandbox host's signal table (processes beyond it use the host for every kill). */
export const SIGNAL_TABLE_SLOTS = 128;
/** Bytes of the signal table. */
export const SIGNAL_TABLE_BYTES = SIGNAL_TABLE_SLOTS * SLOT_WORDS * 4;

/** Bytes of a signal page. */
export const SIGNAL_PAGE_BYTES = 36;

/** waitpid option: return at once when no child has changed state. */
export const WNOHANG = 1;
