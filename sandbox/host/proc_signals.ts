/**
 * Signal delivery, host side. The host decides what a signal does from the target's signal page
 * (libos/signal/shared.ts): SIGKILL ends the Worker (host-enforced, whatever the guest does);
 * SIGSTOP stops it at its next safe point; a handled or blocked signal becomes pending (and a
 * handled one interrupts what the process is blocked in: EINTR); an ignored one is dropped; the
 * rest take their default action here — terminate, ignore, stop, continue.
 */
import { defaultAction, SIG, signalName, SigWord } from "../../libos/signal/shared.ts";
import type { HostProc } from "./proc.ts";

/** What delivery needs from the sandbox host. */
export interface SignalHost {
  endProcess(p: HostProc, code: number, signal: string | null): void;
}

function setStopped(p: HostProc, on: boolean): void {
  const s = p.tree.signals;
  Atomics.store(s, SigWord.STOPPED, on ? 1 : 0);
  Atomics.notify(s, SigWord.STOPPED);
}

function makePending(p: HostProc, sig: number, interrupt: boolean): void {
  const s = p.tree.signals;
  Atomics.or(s, SigWord.PENDING, 1 << sig);
  Atomics.add(s, SigWord.SEQ, 1);
  Atomics.notify(s, SigWord.SEQ);
  if (!interrupt) return;
  p.tree.interrupt.raise();
  for (const cancel of [...p.tree.blocked]) cancel();
  p.tree.blocked.clear();
}

/** Deliver signal `sig` (1..31; 0 only checks) to `p`. */
export function deliver(host: SignalHost, p: HostProc, sig: number): void {
  if (sig === 0 || p.state === "exited") return;
  const bit = 1 << sig;
  const s = p.tree.signals;
  if (sig === SIG.SIGKILL) {
    host.endProcess(p, 128 + sig, "SIGKILL");
    return;
  }
  if (sig === SIG.SIGSTOP) {
    setStopped(p, true);
    return;
  }
  if (sig === SIG.SIGCONT) setStopped(p, false);
  const handled = (Atomics.load(s, SigWord.HANDLED) & bit) !== 0;
  const ignored = (Atomics.load(s, SigWord.IGNORED) & bit) !== 0;
  const blocked = (Atomics.load(s, SigWord.BLOCKED) & bit) !== 0;
  if (ignored && !handled) return;
  if (handled || blocked) {
    makePending(p, sig, handled && !blocked);
    return;
  }
  switch (defaultAction(sig)) {
    case "terminate":
      host.endProcess(p, 128 + sig, signalName(sig));
      return;
    case "stop":
      setStopped(p, true);
      return;
    case "ignore":
    case "continue":
      return;
  }
}
