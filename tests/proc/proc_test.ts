/**
 * Processes in real sandboxes (worker and process isolation): spawn/wait, zombies, orphans,
 * limits, signals, pipes across picoprocesses, the shell, Deno.Command, fork-with-state and
 * System V IPC — including processes killed at random points.
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

const BOTH = new Set(["spawn-wait", "pipeline", "signals", "sem-undo", "random-kill"]);

function levels(name: string): readonly ("worker" | "process")[] {
  return BOTH.has(name) ? LEVELS : ["worker"];
}

for (const iso of levels("spawn-wait")) {
  Deno.test(`[${iso}] spawn starts /bin programs as children; waitpid reports exit codes, then ECHILD`, async () => {
    const { report: r } = await scenario(iso, "spawn-wait");
    assert.deepEqual(r, { pid: 1, a: 2, b: 3, codeA: 0, waPid: 2, codeB: 1, again: "ECHILD" });
  });
}

Deno.test("[worker] WNOHANG returns 0 while the child runs; a dead child is a zombie until reaped", async () => {
  const { report: r } = await scenario("worker", "wnohang-zombie");
  assert.deepEqual(r, { first: 0, state: "Z", reaped: true, listed: false });
});

Deno.test("[worker] an orphan is re-parented to pid 1, which can reap it", async () => {
  const { report: r } = await scenario("worker", "orphan");
  assert.deepEqual(r, { ppid: 1, reapedByInit: true });
});

Deno.test("[worker] a fork bomb gets EAGAIN at sys.max_processes and the sandbox stays usable", async () => {
  const { report: r } = await scenario("worker", "fork-bomb", { maxProcesses: 6 });
  assert.deepEqual(r, { spawned: 5, err: "EAGAIN", after: 0 });
});

for (const iso of levels("signals")) {
  Deno.test(`[${iso}] signals: handlers, masks, pending, ESRCH, SIGTERM/SIGKILL defaults, SIGCHLD`, async () => {
    const { report: r } = await scenario(iso, "signals");
    assert.deepEqual(r, {
      got: 2,
      blocked: 1,
      pending: 1,
      esrch: "ESRCH",
      termSig: 15,
      killSig: 9,
      chld: 1,
    });
  });
}

Deno.test("[worker] a handled signal interrupts a blocked pipe read with EINTR", async () => {
  const { report: r } = await scenario("worker", "eintr");
  assert.deepEqual(r, { e: "EINTR", got: 1 });
});

Deno.test("[worker] a reader sees EOF when the writer is killed; a writer without readers gets EPIPE", async () => {
  const { report: r } = await scenario("worker", "pipe-eof-on-death");
  assert.deepEqual(r, { n: 0, epipe: "EPIPE" });
});

for (const iso of levels("pipeline")) {
  Deno.test(`[${iso}] sh runs pipelines, ||, redirections and $VARs across picoprocesses`, async () => {
    const { report: r } = await scenario(iso, "pipeline");
    assert.deepEqual(r, { code: 0, out: "3\nalt 0\nx\n/home/me\n", err: "" });
  });
}

Deno.test("[worker] Deno.Command: deno run, piped stdin/stdout, outputSync, kill; host programs are NotFound", async () => {
  const { report: r } = await scenario("worker", "command");
  assert.deepEqual(r, {
    deno: "args=a,b pid=2 ppid=1",
    notFound: "NotFound",
    cat: "piped through",
    sync: "sync\n",
    killed: "SIGTERM",
  });
});

Deno.test("[worker] fork-with-state runs the named entry with a copy of the state", async () => {
  const { report: r, stdout } = await scenario("worker", "fork");
  assert.deepEqual(r, { code: 0 });
  assert.match(stdout, /child got 42 a\+b ppid=1/);
});

Deno.test("[worker] System V IPC: message round trip, ENOMSG, shared memory, /proc/sysvipc", async () => {
  const { report: r } = await scenario("worker", "ipc");
  assert.deepEqual(r, {
    reply: "HELLO",
    type: 2,
    nomsg: "ENOMSG",
    shm: "from child",
    listed: 1,
    q: 1,
  });
});

Deno.test("[worker] IPC ids of another sandbox are EINVAL", async () => {
  const { report: a } = await scenario("worker", "ipc");
  const { report: b } = await scenario("worker", "ipc-foreign", { args: [String(a.q)] });
  assert.deepEqual(b, { stat: "EINVAL" });
});

for (const iso of levels("sem-undo")) {
  Deno.test(`[${iso}] a process killed holding a SEM_UNDO semaphore has it undone; semtimedop times out`, async () => {
    const { report: r } = await scenario(iso, "sem-undo");
    assert.deepEqual(r, { timeout: "EAGAIN", after: 1 });
  });
}

Deno.test("[worker] removing a semaphore set wakes its waiters with EIDRM; later semop is EINVAL", async () => {
  const { report: r } = await scenario("worker", "sem-eidrm");
  assert.deepEqual(r, { code: 43, after: "EINVAL" });
});

for (const iso of levels("random-kill")) {
  Deno.test(`[${iso}] workers killed at random points inside a critical section: lock recovered, IPC kept`, async () => {
    const { report: r } = await scenario(iso, "random-kill");
    assert.deepEqual(r, { killed: 9, val: 1, count: true, m: "kept" });
  });
}
