// A process's output and exit reach the embedding app even when the host's frames arrive all at
// once. In `process` isolation the app decodes a whole chunk of the host's stdout in one go: the
// answer to `spawn`, the process's first output and its exit can be handled in the same turn, so
// the app must know the process from the moment it learns its pid, not a promise reaction later
// (before, the output was dropped, and with the exit lost too `run()` never returned).
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";

/** Resolve `p`, or fail after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

for (const isolation of ["process", "worker"] as const) {
  Deno.test(`[${isolation}] output and exit that arrive with the spawn answer are not lost`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sp_order_" });
    try {
      await Deno.writeTextFile(join(dir, "app.ts"), `console.log("first line");\n`);
      await Deno.writeTextFile(
        join(dir, "app.toml"),
        `[loader]\nentrypoint = "app.ts"\n[sys]\nwall_time = "30s"\n`,
      );
      await using sb = await Sandbox.create(join(dir, "app.toml"), { isolation });
      for (let round = 0; round < 2; round++) {
        const run = sb.run();
        // Let the spawn command leave, then hold this thread while the host starts the process
        // and the process prints and exits: its frames pile up and are read in one chunk.
        await new Promise((r) => setTimeout(r, 2));
        const until = performance.now() + 1000;
        while (performance.now() < until) { /* hold the thread */ }
        const out = await within(run, 15_000, `round ${round}`);
        assert.equal(new TextDecoder().decode(out.stdout), "first line\n", `round ${round}`);
        assert.equal(out.code, 0);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
