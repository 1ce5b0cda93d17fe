/**
 * Exited processes' Workers are retired (sandbox/host/proc_retire.ts): put off while the host is
 * busy, but they do end, while the sandbox stays open and at its close, also when a guest reports
 * its exit and runs on instead of parking. Each case runs fixtures/retire_host.ts as its own
 * Deno process, so the Worker threads it counts are only that sandbox's.
 */
import assert from "node:assert/strict";

const HOST = new URL("./fixtures/retire_host.ts", import.meta.url).pathname;

type Report = { atWait: number; quietMs: number; closedMs: number; code: number };

async function run(args: string[]): Promise<Report> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", HOST, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, `${text}\n${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text.split("\n").at(-1)!);
}

Deno.test("the Workers of exited children end while the sandbox is open, and at its close", async () => {
  const r = await run(["6"]);
  assert.equal(r.code, 0);
  // The guest's own fallback ends a parked Worker after 2 s: these must come from the host.
  assert.ok(
    r.quietMs >= 0 && r.quietMs < 1000,
    `children's Workers still up: ${JSON.stringify(r)}`,
  );
  assert.ok(r.closedMs >= 0 && r.closedMs < 1000, `Workers up after close: ${JSON.stringify(r)}`);
});

Deno.test("a child that reports its exit and runs on is still ended", async () => {
  const r = await run(["2", "rogue"]);
  assert.equal(r.code, 0);
  assert.ok(r.quietMs >= 0 && r.quietMs < 1000, `rogue Worker still up: ${JSON.stringify(r)}`);
  assert.ok(r.closedMs >= 0 && r.closedMs < 1000, JSON.stringify(r));
});
