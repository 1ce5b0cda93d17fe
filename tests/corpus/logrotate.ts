// logrotate: append a line to app.log; when it grows past MAX bytes rotate it
// (app.log.N-1 → app.log.N, …, app.log → app.log.1), keeping KEEP old logs.
// Usage: deno run --allow-read=. --allow-write=. logrotate.ts MESSAGE...
const LOG = "app.log";
const MAX = Number(Deno.env.get("LOG_MAX") ?? "200");
const KEEP = 3;

async function size(p: string): Promise<number> {
  try {
    return (await Deno.stat(p)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return -1;
    throw e;
  }
}

async function rotate(): Promise<void> {
  if (await size(`${LOG}.${KEEP}`) >= 0) {
    await Deno.remove(`${LOG}.${KEEP}`);
    console.log(`dropped ${LOG}.${KEEP}`);
  }
  for (let i = KEEP - 1; i >= 1; i--) {
    if (await size(`${LOG}.${i}`) >= 0) await Deno.rename(`${LOG}.${i}`, `${LOG}.${i + 1}`);
  }
  await Deno.rename(LOG, `${LOG}.1`);
  console.log(`rotated ${LOG}`);
}

for (const [i, msg] of Deno.args.entries()) {
  if (await size(LOG) + msg.length + 8 > MAX) await rotate();
  const f = await Deno.open(LOG, { append: true, create: true });
  await f.write(new TextEncoder().encode(`${String(i).padStart(5, "0")} ${msg}\n`));
  f.close();
}
const logs: string[] = [];
for await (const e of Deno.readDir(".")) if (e.name.startsWith(LOG)) logs.push(e.name);
for (const name of logs.sort()) console.log(`${name} ${await size(name)}`);
