// Sandbox split (sandbox_set_policy): a picoprocess narrows itself into a new sandbox. Widening
// is DENIED; afterwards its old handles on dropped or read-only-upgraded mounts are REVOKED,
// dropped mounts and net grants are gone, the read-only upgrade holds for every change, and it
// no longer sees or reaches its old sandbox's processes.
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { makeWorld, neighbour, RAW_BOOT, results } from "./_world.ts";
import { freePort } from "../_net.ts";

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`split: a process narrows itself and loses its old sandbox (${isolation})`, async () => {
    const w = await makeWorld();
    const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const keep = `127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
    const drop = `127.0.0.1:${freePort()}`;
    const accepting = (async () => {
      for await (const c of server) c.close();
    })();
    try {
      const m = await w.manifest("split_guest.ts", {
        isolation,
        extra: `[net]\nconnect = ["${keep}", "${drop}"]`,
      });
      await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
      const sibling = await sb.spawn({ argv: ["split_guest.ts", "sleep"] });
      // A second sibling that is not pid 1, so kill(-1) would reach it across the split.
      const sibling2 = await sb.spawn({ argv: ["split_guest.ts", "sleep"] });
      const [out] = await Promise.all([
        sb.run({ argv: ["split_guest.ts", "probe", keep, drop] }),
        neighbour(),
      ]);
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
      const r = JSON.parse(text.trim());
      assert.deepEqual(r, {
        procsBefore: 3,
        widenMount: "DENIED",
        widenRo: "DENIED",
        widenNet: "DENIED",
        split: true,
        oldHandleData: "REVOKED",
        oldHandleTmp: "REVOKED",
        readData: "ok",
        writeData: "READ_ONLY",
        deleteData: "READ_ONLY",
        mkdirData: "READ_ONLY",
        roMount: "NOT_FOUND",
        tmpMount: "NOT_FOUND",
        netDropped: "DENIED",
        netKept: "ok",
        procsAfter: [3],
        killSibling: r.killSibling === "NOT_IMPLEMENTED" ? "NOT_IMPLEMENTED" : "NO_PROCESS",
        killAll: "NO_PROCESS",
        policy: {
          sandboxSplit: true,
          mounts: [{ path: "/data", type: "chroot", readonly: true }],
          net: { connect: [keep], listen: [] },
        },
        widenAgain: "DENIED",
      });
      // The sibling in the old sandbox was not touched, and the file is intact.
      assert.equal((await sibling.wait()).code, 0);
      assert.equal((await sibling2.wait()).code, 0);
      assert.equal(await Deno.readTextFile(`${w.mount}/data.txt`), "public data");
      assert.equal(results(out).size, 0);
    } finally {
      server.close();
      await accepting.catch(() => {});
      await w.dispose();
    }
  });
}
