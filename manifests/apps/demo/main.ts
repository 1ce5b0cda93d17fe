// The Sandpiper demo: an ordinary Deno script, unaware of the sandbox it runs in.
// It shows what its manifest (manifests/demo.toml) grants and what the sandbox refuses.

function show(label: string, value: string): void {
  console.log(`  ${label.padEnd(34)} ${value}`);
}

async function refused(label: string, fn: () => Promise<unknown> | unknown): Promise<void> {
  try {
    await fn();
    show(label, "ALLOWED (this should not happen)");
  } catch (e) {
    const err = e as Error;
    show(label, `refused: ${err.name}: ${err.message.split("\n")[0]}`);
  }
}

console.log("Sandpiper demo — an unmodified Deno script in a sandbox\n");
console.log("What the manifest grants:");
show("pid / argv", `${Deno.pid} / ${JSON.stringify(Deno.args)}`);
show("env GREETING", Deno.env.get("GREETING") ?? "(unset)");
show("cwd", Deno.cwd());
show("read /data/welcome.txt", (await Deno.readTextFile("/data/welcome.txt")).trim());
await Deno.writeTextFile("/tmp/notes.txt", "written inside the sandbox\n");
show("write + read /tmp/notes.txt", (await Deno.readTextFile("/tmp/notes.txt")).trim());
const names: string[] = [];
for await (const e of Deno.readDir("/")) names.push(e.name + (e.isDirectory ? "/" : ""));
show("ls /", names.sort().join(" "));

// A pipeline across picoprocesses: sh, cat and wc each run as their own Worker.
const pipeline = await new Deno.Command("sh", {
  args: ["-c", "cat /data/welcome.txt | wc -w"],
}).output();
show("sh -c 'cat /data/welcome.txt | wc -w'", new TextDecoder().decode(pipeline.stdout).trim());

console.log("\nWhat the sandbox refuses:");
await refused("read /etc/passwd", () => Deno.readTextFile("/etc/passwd"));
await refused(
  "read /data/../../../etc/passwd",
  () => Deno.readTextFile("/data/../../../etc/passwd"),
);
await refused(
  "write /data/welcome.txt (read-only)",
  () => Deno.writeTextFile("/data/welcome.txt", "x"),
);
await refused("env HOME (not in the manifest)", () => {
  const v = Deno.env.get("HOME");
  if (v === undefined) throw new Deno.errors.NotFound("HOME is not set in the sandbox");
  return v;
});
await refused(
  "connect example.com:80 (not listed)",
  () => Deno.connect({ hostname: "example.com", port: 80 }),
);
await refused("run /usr/bin/id (a host program)", () => new Deno.Command("/usr/bin/id").output());
console.log("\nDone: the app saw only what demo.toml grants.");
