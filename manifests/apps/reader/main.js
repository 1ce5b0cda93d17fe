// reader: reads from a read-only mount, shows that writing there fails, writes to tmpfs instead.
const motd = await Deno.readTextFile("/data/motd.txt");
console.log(`motd: ${motd.trim()}`);
try {
  await Deno.writeTextFile("/data/motd.txt", "defaced");
  console.log("write to /data: succeeded (unexpected)");
} catch (e) {
  console.log(`write to /data: refused (${e.name})`);
}
await Deno.writeTextFile("/scratch/note.txt", motd.toUpperCase());
console.log(`scratch: ${(await Deno.readTextFile("/scratch/note.txt")).trim()}`);
