/**
 * The cost of the audit log and of starting a sandbox. (1) open+close of a file through a raw PAL
 * client in a real sandbox, with and without `sys.audit` (one JSONL line per open). (2) Sandbox
 * create → first output of a one-line app, per isolation level, against a raw Worker spawn → first
 * message in the same process. Run: deno run -A bench/audit_bench.ts
 */
import { join } from "node:path";
import { Sandbox } from "../sandbox/sandbox.ts";
import { median, printTable } from "./_table.ts";

const RAW_BOOT = new URL("../tests/sandbox/fixtures/raw_boot.ts", import.meta.url).href;
const OPS = 5000;
const ROUNDS = 5;
const STARTS = 7;

const GUEST = `const g = globalThis;
const n = Number(g.init.argv[1]);
for (let i = 0; i < 200; i++) g.pal.call("stream_close", g.pal.call("stream_open", "file://1/f.txt", 1, 0));
const t0 = performance.now();
for (let i = 0; i < n; i++) g.pal.call("stream_close", g.pal.call("stream_open", "file://1/f.txt", 1, 0));
g.say(((performance.now() - t0) * 1000) / n);
g.exit(0);`;

async function openClose(dir: string, audit: boolean): Promise<number> {
  const toml =
    `[loader]\nentrypoint = "guest.js"\n[[fs.mounts]]\npath = "/d"\nuri = "file:data"\n` +
    `[sys]\nisolation = "worker"\n${audit ? `audit = "audit.jsonl"\n` : ""}`;
  await Deno.writeTextFile(join(dir, audit ? "a.toml" : "n.toml"), toml);
  await using sb = await Sandbox.create(join(dir, audit ? "a.toml" : "n.toml"), {
    bootUrl: RAW_BOOT,
  });
  const out = await sb.run({ argv: ["guest", String(OPS)] });
  return Number(new TextDecoder().decode(out.stdout).trim());
}

async function firstOutput(dir: string, isolation: "worker" | "process"): Promise<number> {
  const t0 = performance.now();
  const sb = await Sandbox.create(join(dir, "hello.toml"), { isolation });
  const p = await sb.spawn();
  const reader = p.stdout.getReader();
  await reader.read();
  const ms = performance.now() - t0;
  reader.releaseLock();
  await p.wait();
  await sb.close();
  return ms;
}

async function rawWorker(): Promise<number> {
  const t0 = performance.now();
  const w = new Worker("data:application/javascript,postMessage(1)", { type: "module" });
  await new Promise((r) => (w.onmessage = r));
  const ms = performance.now() - t0;
  w.terminate();
  return ms;
}

const dir = await Deno.makeTempDir({ prefix: "sandpiper-audit-bench-" });
try {
  await Deno.mkdir(join(dir, "data"));
  await Deno.writeTextFile(join(dir, "data", "f.txt"), "x");
  await Deno.writeTextFile(join(dir, "guest.js"), GUEST);
  await Deno.writeTextFile(join(dir, "hello.js"), `console.log("hi");`);
  await Deno.writeTextFile(join(dir, "hello.toml"), `[loader]\nentrypoint = "hello.js"\n`);
  const withAudit: number[] = [];
  const without: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    without.push(await openClose(dir, false));
    withAudit.push(await openClose(dir, true));
  }
  const starts = { worker: [] as number[], process: [] as number[], raw: [] as number[] };
  for (let i = 0; i < STARTS; i++) {
    starts.raw.push(await rawWorker());
    starts.worker.push(await firstOutput(dir, "worker"));
    starts.process.push(await firstOutput(dir, "process"));
  }
  printTable("audit log and sandbox start", [
    {
      name: "open+close, sys.audit on (vs off)",
      ours: median(withAudit),
      baseline: median(without),
      unit: "µs",
      goal: "ratio <= 3",
    },
    {
      name: "create → first output, worker (vs raw Worker spawn)",
      ours: median(starts.worker),
      baseline: median(starts.raw),
      unit: "ms",
    },
    {
      name: "create → first output, process (vs raw Worker spawn)",
      ours: median(starts.process),
      baseline: median(starts.raw),
      unit: "ms",
    },
  ]);
} finally {
  await Deno.remove(dir, { recursive: true });
}
