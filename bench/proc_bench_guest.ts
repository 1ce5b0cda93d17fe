/**
 * Guest side of bench/proc_bench.ts: runs inside a sandbox, prints one JSON line of µs per op.
 * Modes (argv[1]): "cold" (the sandbox has no pool: every spawn starts a Worker), "sustained"
 * (back-to-back spawns with the default pool: bound by how fast the pool refills), "warm" (the
 * warm spawn loop alone: bench/proc_bench.ts runs it with `sys.recycle = false`), or the full
 * run, whose warm spawn and fork loops start from a full, booted pool at least as large as the
 * loop (the pool state comes from process_info).
 */
import { O, sys } from "../libos/native.ts";
import * as ipc from "../libos/ipc/sysv.ts";
import { forkedChild } from "../libos/proc/fork.ts";
import { processInfo } from "../libos/proc/process.ts";
import { currentLibos } from "../libos/libos.ts";

const s = sys();
/** Spawns per timed warm loop that takes a new pooled Worker each time: at most the pool size
 * (bench/proc_bench.ts sets it). */
const N_WARM = 10;
/** Spawns of `true` in the steady-state loop (recycled Workers: the pool does not bound it),
 * after N_LOOP_WARM untimed ones: the first spawns in a recycled Worker still run the boot's
 * code cold (measured: ~2.5 ms each for the first ten, ~0.7–1 ms from a few dozen on); native
 * fork+exec is measured as a loop of 300 too. */
const N_LOOP = 100;
const N_LOOP_WARM = 20;
/** The steady state of that loop, timed last: N_STEADY spawns after N_STEADY_WARM more untimed
 * ones (~630 spawns in all before it). V8 optimizes a function after ~400 calls (Maglev's
 * default) and further later, so a sandbox's spawns get cheaper over its first few hundred
 * (measured, medians per block of 100 spawns of `true` from the first: ~0.65–0.85 ms, then
 * ~0.45–0.55 ms, ~0.4 ms in the fourth, ~0.2–0.4 ms from the seventh on). */
const N_STEADY = 300;
const N_STEADY_WARM = 500;
/** fork+exec uses two Workers per op. */
const N_EXEC = 5;
const N_SUSTAINED = 30;
/** Shell pipelines timed in the sustained run, after N_PIPE_WARM untimed ones. */
const N_PIPE = 20;
const N_PIPE_WARM = 3;
/** Round trips per timed batch; each IPC row is the median of RTT_BATCHES batches, timed after
 * RTT_WARM untimed round trips (the new child's JIT warm-up and the pool's refill are not the
 * steady state we compare with native C). Measured with per-1000 means: a msgsnd/msgrcv or semop
 * round trip between a parent and a new child runs 20–40 µs in scattered batches for its first
 * ~10–20 thousand trips (both sides' paths being compiled, on two shared cores) and ~3–6 µs
 * after; 2000 warm-up trips left the rows measuring that warm-up. */
const N_RTT = 1000;
const RTT_BATCHES = 5;
const RTT_WARM = 20000;
/** Round trips timed one by one after the batches, for the median of single trips. */
const N_SINGLE = 5000;
const RTT_TOTAL = RTT_WARM + RTT_BATCHES * N_RTT + N_SINGLE;

export function exitAtOnce() {
  Deno.exit(0);
}
/** A fork child whose entry returns: it ends when its event loop has no work left, as most
 * programs do (not through an explicit exit). */
export function returnAtOnce() {}
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

/**
 * µs per round trip: RTT_WARM untimed, then the median of RTT_BATCHES timed batches (a batch's
 * mean includes the rare trips where a peer was descheduled), then the median of N_SINGLE
 * round trips timed one by one (the typical trip; native C reports the same two figures).
 */
function rtt(fn: () => void): [mean: number, p50: number] {
  for (let i = 0; i < RTT_WARM; i++) fn();
  const xs: number[] = [];
  for (let b = 0; b < RTT_BATCHES; b++) xs.push(time(N_RTT, fn));
  xs.sort((a, b) => a - b);
  const each = new Float64Array(N_SINGLE);
  for (let i = 0; i < N_SINGLE; i++) {
    const t0 = performance.now();
    fn();
    each[i] = (performance.now() - t0) * 1000;
  }
  each.sort();
  return [xs[RTT_BATCHES >> 1]!, each[N_SINGLE >> 1]!];
}

/** Wait until the sandbox's spawn pool holds its target of booted Workers (at most 10 s). */
async function poolFull(): Promise<void> {
  const k = currentLibos()!.kernel;
  const t0 = performance.now();
  for (;;) {
    const p = processInfo(k).spawnPool;
    if (!p || p.ready >= p.target || performance.now() - t0 > 10_000) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main() {
  const r: Record<string, number> = {};
  const mode = Deno.args[0];
  const spawnTrue = () => s.waitpid(s.spawn({ program: "true" }), 0);
  spawnTrue(); // load the built-in once (and start the pool)
  if (mode === "cold" || mode === "sustained") {
    r.spawn = time(mode === "cold" ? N_WARM : N_SUSTAINED, spawnTrue);
    if (mode === "sustained") {
      // A pipeline of built-ins in the shell, with the default pool: four processes at once.
      const pipeline = () =>
        s.waitpid(
          s.spawn({ program: "sh", argv: ["sh", "-c", "echo a | cat | wc -c > /dev/null"] }),
          0,
        );
      for (let i = 0; i < N_PIPE_WARM; i++) pipeline();
      r.pipeline = time(N_PIPE, pipeline);
    }
    console.log(JSON.stringify(r));
    return;
  }
  await poolFull();
  r.spawnFirst = time(N_WARM, spawnTrue);
  if (mode === "warm") {
    console.log(JSON.stringify(r));
    return;
  }
  for (let i = 0; i < N_LOOP_WARM; i++) spawnTrue();
  await poolFull();
  r.spawn = time(N_LOOP, spawnTrue);
  await poolFull();
  r.spawnScript = time(
    N_WARM,
    () => s.waitpid(s.spawn({ program: "/bench/trivial_program.ts" }), 0),
  );
  await poolFull();
  r.fork = time(N_WARM, () => s.waitpid(s.fork("exitAtOnce", { big: "x".repeat(1000) }), 0));
  await poolFull();
  r.forkReturn = time(
    N_WARM,
    () => s.waitpid(s.fork("returnAtOnce", { big: "x".repeat(1000) }), 0),
  );
  await poolFull();
  r.exec = time(N_EXEC, () => s.waitpid(s.fork("execTrue", null), 0));
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
  await poolFull();
  [r.pipe, r.pipeP50] = rtt(rt);
  s.close(aw);
  s.waitpid(c, 0);
  // msg round trip
  const q = ipc.msgget(ipc.IPC_PRIVATE, ipc.IPC_CREAT | 0o600);
  const mc = s.fork("msgEcho", { q, n: RTT_TOTAL });
  const one = new Uint8Array(1);
  const mrt = () => {
    ipc.msgsnd(q, 1, one);
    ipc.msgrcv(q, 8, 2);
  };
  await poolFull();
  [r.msg, r.msgP50] = rtt(mrt);
  s.waitpid(mc, 0);
  // semop ping-pong
  const id = ipc.semget(ipc.IPC_PRIVATE, 2, ipc.IPC_CREAT | 0o600);
  const sc = s.fork("semEcho", { id, n: RTT_TOTAL });
  const srt = () => {
    ipc.semop(id, [{ num: 0, op: 1 }]);
    ipc.semop(id, [{ num: 1, op: -1 }]);
  };
  await poolFull();
  [r.sem, r.semP50] = rtt(srt);
  s.waitpid(sc, 0);
  // signal round trip
  let got = 0;
  let ready = false;
  s.sigaction(10, () => got++);
  s.sigaction(12, () => (ready = true));
  const gc = s.fork("sigEcho", { n: RTT_TOTAL });
  while (!ready) s.sigpending();
  await poolFull();
  [r.signal, r.signalP50] = rtt(() => {
    const want = got + 1;
    s.kill(gc, 10);
    while (got < want) s.sigpending();
  });
  s.waitpid(gc, 0);
  for (let i = 0; i < N_STEADY_WARM; i++) spawnTrue();
  r.spawnSteady = time(N_STEADY, spawnTrue);
  console.log(JSON.stringify(r));
}

if (!forkedChild()) await main();
