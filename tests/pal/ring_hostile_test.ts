// A guest that scribbles over its own call page while the host serves it cannot crash the host
// or disturb a neighbouring sandbox; afterwards the host still answers it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { runPalConformanceOnce } from "./conformance.ts";

const RAW_BOOT = new URL("../sandbox/fixtures/raw_boot.ts", import.meta.url).href;

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`a guest rewriting its call page does not hurt the host or a neighbour (${isolation})`, async () => {
    const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandpiper-scribble-" }));
    try {
      await Deno.copyFile(
        new URL("./fixtures/scribbler_guest.ts", import.meta.url),
        join(root, "guest.ts"),
      );
      await Deno.writeTextFile(
        join(root, "s.toml"),
        `[loader]\nentrypoint = "guest.ts"\nargv = ["guest", "1500"]\n`,
      );
      const attacker = await Sandbox.create(join(root, "s.toml"), { isolation, bootUrl: RAW_BOOT });
      const attack = attacker.run();
      // The neighbour runs the whole PAL conformance program meanwhile.
      const neighbour = await runPalConformanceOnce(isolation);
      const out = await attack;
      await attacker.close();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
      const r = JSON.parse(text.trim());
      assert.ok(r.scribbled > 1000, `scribbler made only ${r.scribbled} writes`);
      assert.equal(r.nullCall, 0, "the host stopped answering the attacker");
      const failed = neighbour.filter((c) => !c.ok);
      assert.deepEqual(failed, [], "the neighbour's checks failed");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}
