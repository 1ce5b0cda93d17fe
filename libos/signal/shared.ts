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
 * The host reads HANDLED/IGNORED/BLOCKED to pick the action; a guest that lies only hurts itself:
 * SIGKILL and SIGSTOP are never consulted against them.
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
} as const;

/** Bytes of a signal page. */
export const SIGNAL_PAGE_BYTES = 32;

/** waitpid option: return at once when no child has changed state. */
export const WNOHANG = 1;
