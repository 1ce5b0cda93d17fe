// Guest side of bench/proc_bench.ts: runs inside a sandbox, prints one JSON line of µs per op.
import { O, sys } from "../libos/native.ts";
import * as ipc from "../libos/ipc/sysv.ts";
import { forkedChild } from "../libos/proc/fork.ts";

const s = sys();
const N_SPAWN = 15;
const N_RTT = 1000;

export function exitAtOnce() {
  Deno.exit(0);
}
export function execTrue() {
  s.execve("true", ["true"]);
}
export function pipeEcho() {
  const b = new Uint8Array(1);
  for (;;) {
    if (s.read(0, b) === 0) Deno.exit(0);
    s.write(1, b);
  }
}
export function msgEcho(st: { q: number; n: number }) {
  for (let i = 0; i < st.n; i++) {
    const m = ipc.msgrcv(st.q, 8, 1);
    ipc.msgsnd(st.q, 2, m.data);
  }
}
export function semEcho(st: { id: number; n: number }) {
  for (let i = 0; i < st.n; i++) {
    ipc.semop(st.id, [{ num: 0, op: -1 }]);
    ipc.semop(st.id, [{ num: 1, op: 1 }]);
  }
}
export function sigEcho(st: { n: number }) {
  let got = 0;
  s.sigaction(10, () => got++);
  s.kill(Deno.ppid, 12); // ready
  for (let i = 0; i < st.n; i++) {
    while (got <= i) s.sigpending(); // a safe point each turn
    s.kill(Deno.ppid, 10);
  }
}

function time(n: number, fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1000) / n;
}

function main() {
  const r: Record<string, number> = {};
  s.waitpid(s.spawn({ program: "true" }), 0); // warm the module cache (and start the pool)
  r.spawn = time(N_SPAWN, () => s.waitpid(s.spawn({ program: "true" }), 0));
  if (Deno.args[0] === "spawn") {
    console.log(JSON.stringify(r));
    return;
  }
  r.exec = time(N_SPAWN, () => s.waitpid(s.fork("execTrue", null), 0));
  r.fork = time(N_SPAWN, () => s.waitpid(s.fork("exitAtOnce", { big: "x".repeat(1000) }), 0));
  // pipe round trip
  const [ar, aw] = s.pipe(O.CLOEXEC);
  const [br, bw] = s.pipe(O.CLOEXEC);
  const c = s.fork("pipeEcho", null, {
    fdActions: [{ op: "dup2", fd: ar, newfd: 0 }, { op: "dup2", fd: bw, newfd: 1 }],
  });
  s.close(ar);
  s.close(bw);
  const b = new Uint8Array(1);
  const rt = () => {
    s.write(aw, b);
    s.read(br, b);
  };
  for (let i = 0; i < 100; i++) rt();
  r.pipe = time(N_RTT, rt);
  s.close(aw);
  s.waitpid(c, 0);
  // msg round trip
  const q = ipc.msgget(ipc.IPC_PRIVATE, ipc.IPC_CREAT | 0o600);
  const mc = s.fork("msgEcho", { q, n: N_RTT + 100 });
  const one = new Uint8Array(1);
  const mrt = () => {
    ipc.msgsnd(q, 1, one);
    ipc.msgrcv(q, 8, 2);
  };
  for (let i = 0; i < 100; i++) mrt();
  r.msg = time(N_RTT, mrt);
  s.waitpid(mc, 0);
  // semop ping-pong
  const id = ipc.semget(ipc.IPC_PRIVATE, 2, ipc.IPC_CREAT | 0o600);
  const sc = s.fork("semEcho", { id, n: N_RTT + 100 });
  const srt = () => {
    ipc.semop(id, [{ num: 0, op: 1 }]);
    ipc.semop(id, [{ num: 1, op: -1 }]);
  };
  for (let i = 0; i < 100; i++) srt();
  r.sem = time(N_RTT, srt);
  s.waitpid(sc, 0);
  // signal round trip
  let got = 0;
  let ready = false;
  s.sigaction(10, () => got++);
  s.sigaction(12, () => (ready = true));
  const NS = 200;
  const gc = s.fork("sigEcho", { n: NS });
  while (!ready) s.sigpending();
  r.signal = time(NS, () => {
    const want = got + 1;
    s.kill(gc, 10);
    while (got < want) s.sigpending();
  });
  s.waitpid(gc, 0);
  console.log(JSON.stringify(r));
}

if (!forkedChild()) main();
