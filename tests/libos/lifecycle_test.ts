/**
 * A sandboxed program ends as under Deno: the same status, the same stdout and the same first
 * line of stderr, for unhandled rejections (one that is the program's last act too: the libOS
 * must not end the process before Deno reports it), uncaught errors, listeners of `error` and
 * `unhandledrejection` that cancel them, `Deno.exitCode` (checked as Deno checks it, and the
 * status of `Deno.exit()` without one), and `beforeunload` (a listener that cancels it keeps the
 * program running) and `unload`; a fetched file's body left unread keeps nothing running. One
 * fixture, one scenario per run.
 */
import assert from "node:assert/strict";
import { runDirect, runGuest } from "./_sandbox.ts";

const fixture = new URL("./fixtures/lifecycle.ts", import.meta.url).pathname;
const SCENARIOS = [
  "rejection-last",
  "rejection-value",
  "rejection-handled",
  "error-handled",
  "timer-throw",
  "top-throw",
  "exit-code",
  "exit-no-argument",
  "exit-code-checked",
  "beforeunload-keeps",
  "unread-body",
  "stdout-closed",
];
const firstLine = (s: string) => s.split("\n")[0];

for (const scenario of SCENARIOS) {
  Deno.test(`deno personality: a program ends as under Deno (${scenario})`, async () => {
    const direct = await runDirect([`--allow-read=${fixture}`, fixture, scenario], {
      NO_COLOR: "1",
    });
    const want = { ...direct, stderr: firstLine(direct.stderr) };
    const got = await runGuest({ entry: fixture, mounts: [], argv: [scenario] });
    assert.deepEqual({ ...got, stderr: firstLine(got.stderr) }, want);
  });
}
