// wc: count lines, words and bytes of the files named on the command line, like wc(1).
// Usage: deno run --allow-read wc.ts FILE...
const files = Deno.args;
if (files.length === 0) {
  console.error("usage: wc FILE...");
  Deno.exit(2);
}
let total = { lines: 0, words: 0, bytes: 0 };
let status = 0;
const pad = (n: number) => String(n).padStart(7);
for (const name of files) {
  let data: Uint8Array;
  try {
    data = await Deno.readFile(name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      console.error(`wc: ${name}: No such file or directory`);
    } else if (e instanceof Deno.errors.IsADirectory) {
      console.error(`wc: ${name}: Is a directory`);
    } else throw e;
    status = 1;
    continue;
  }
  const text = new TextDecoder().decode(data);
  const lines = text.split("\n").length - 1;
  const words = text.split(/\s+/).filter((w) => w !== "").length;
  console.log(`${pad(lines)}${pad(words)}${pad(data.length)} ${name}`);
  total = {
    lines: total.lines + lines,
    words: total.words + words,
    bytes: total.bytes + data.length,
  };
}
if (files.length > 1) {
  console.log(`${pad(total.lines)}${pad(total.words)}${pad(total.bytes)} total`);
}
Deno.exit(status);
