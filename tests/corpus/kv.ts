// kv: a small JSON key-value store in ./db.json, updated atomically (write a temp file, rename).
// Usage: deno run --allow-read=. --allow-write=. kv.ts set KEY VALUE | get KEY | del KEY | list
const DB = "db.json";

async function load(): Promise<Record<string, string>> {
  try {
    return JSON.parse(await Deno.readTextFile(DB));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

async function save(db: Record<string, string>): Promise<void> {
  const tmp = `${DB}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(db, null, 2) + "\n");
  await Deno.rename(tmp, DB);
}

const [cmd, key, value] = Deno.args;
const db = await load();
switch (cmd) {
  case "set":
    if (key === undefined || value === undefined) throw new Error("set needs KEY VALUE");
    db[key] = value;
    await save(db);
    console.log(`set ${key}`);
    break;
  case "get":
    if (key === undefined || !(key in db)) {
      console.error(`no such key: ${key}`);
      Deno.exit(1);
    }
    console.log(db[key]);
    break;
  case "del":
    if (key !== undefined && key in db) {
      delete db[key];
      await save(db);
      console.log(`deleted ${key}`);
    } else console.log(`absent ${key}`);
    break;
  case "list":
    for (const k of Object.keys(db).sort()) console.log(`${k}=${db[k]}`);
    console.log(
      `${Object.keys(db).length} keys, ${
        (await Deno.stat(DB).catch(() => ({ size: 0 }))).size
      } bytes`,
    );
    break;
  default:
    console.error("usage: kv set|get|del|list");
    Deno.exit(2);
}
