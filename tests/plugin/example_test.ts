// The example host app runs end to end and shows each promised behaviour.
import assert from "node:assert/strict";

Deno.test("examples/plugin_host runs both plugins and survives the runaway one", async () => {
  const main = new URL("../../examples/plugin_host/main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", main],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(text, /<h1>Plugins<\/h1>/);
  assert.match(text, /\[wordcount\] counted 13 words/);
  assert.match(text, /markdown refused bad input: TypeError: expected text, got number/);
  assert.match(text, /forever\(\) ran past its 300 ms deadline/);
  assert.match(text, /markdown still works: <p><em>still<\/em> here<\/p>/);
});
